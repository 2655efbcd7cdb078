package org.sparknmt.jobs.kryo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.reflect.ClassTag$;

class BulkNdArraySerializerTest {
  private final SerializerInstance kryo =
      new KryoSerializer(
              new SparkConf().set("spark.kryo.registrator", NdArrayKryoRegistrator.class.getName()))
          .newInstance();

  private Object roundTrip(Object value) {
    ByteBuffer bytes = kryo.serialize(value, ClassTag$.MODULE$.apply(Object.class));
    return kryo.deserialize(bytes, ClassTag$.MODULE$.apply(Object.class));
  }

  @Test
  void everyDataTypeShapeAndLayoutComesBackEqual() {
    INDArray matrix = Nd4j.rand(DataType.FLOAT, 37, 53);
    List<INDArray> arrays =
        List.of(
            matrix,
            Nd4j.rand(DataType.DOUBLE, 3, 4, 5),
            Nd4j.arange(0, 1000).castTo(DataType.INT32).reshape(10, 100),
            Nd4j.arange(0, 12).castTo(DataType.INT64),
            Nd4j.rand(DataType.FLOAT16, 7, 9),
            matrix.get(NDArrayIndex.interval(5, 20), NDArrayIndex.interval(3, 40)), // a view
            matrix.transpose(), // F order
            matrix.dup('f'),
            Nd4j.scalar(2.5f),
            Nd4j.create(DataType.FLOAT, 0));
    for (INDArray a : arrays) {
      INDArray back = (INDArray) roundTrip(a);
      assertEquals(a.dataType(), back.dataType(), "data type of " + a.shapeInfoToString());
      assertEquals(List.of(a.shape()).size(), List.of(back.shape()).size());
      assertEquals(a, back, "values of " + a.shapeInfoToString());
    }
  }

  @Test
  void arraysLargerThanOneCopyBlockComeBackWhole() {
    INDArray big = Nd4j.rand(DataType.FLOAT, 3_000_001); // 12 MB: two blocks and a remainder
    assertEquals(big, roundTrip(big));
  }

  @Test
  void theRegistratorReplacesNd4jsElementByElementSerializer() {
    KryoSerializer serializer =
        new KryoSerializer(
            new SparkConf().set("spark.kryo.registrator", NdArrayKryoRegistrator.class.getName()));
    assertInstanceOf(
        BulkNdArraySerializer.class,
        serializer.newKryo().getSerializer(Nd4j.getBackend().getNDArrayClass()));
  }

  @Test
  void theParameterAveragingBroadcastTravelsThroughTheRegistrator() {
    INDArray params = Nd4j.rand(DataType.FLOAT, 1, 10_000);
    INDArray updater = Nd4j.rand(DataType.FLOAT, 1, 20_000);
    Object back = roundTrip(new NetBroadcastTuple(null, null, params, updater));
    NetBroadcastTuple tuple = assertInstanceOf(NetBroadcastTuple.class, back);
    assertEquals(params, tuple.getParameters());
    assertEquals(updater, tuple.getUpdaterState());
  }
}
