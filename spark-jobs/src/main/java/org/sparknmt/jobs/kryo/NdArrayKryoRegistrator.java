package org.sparknmt.jobs.kryo;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@code spark.kryo.registrator} of every sparknmt job: ND4J's own registrations, with the
 * backend's array class serialized by {@link BulkNdArraySerializer} instead of element by element.
 */
public final class NdArrayKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    new Nd4jRegistrator().registerClasses(kryo);
    kryo.register(Nd4j.getBackend().getNDArrayClass(), new BulkNdArraySerializer());
  }
}
