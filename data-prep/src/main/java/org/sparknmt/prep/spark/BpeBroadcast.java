package org.sparknmt.prep.spark;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.shard.EncodedPair;

/**
 * A {@link BpeModel} sent to the executors once, as a broadcast of its plain files (which Spark's
 * Kryo serializer handles, unlike the model's caches); each executor JVM rebuilds the model once
 * and all its tasks share it (the model is thread-safe).
 */
public final class BpeBroadcast implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HashMap<String, String> files;
  private transient volatile BpeModel model;

  private BpeBroadcast(Map<String, String> files) {
    this.files = new HashMap<>(files);
  }

  /** Broadcasts {@code model}. */
  public static Broadcast<BpeBroadcast> of(JavaSparkContext jsc, BpeModel model) {
    return jsc.broadcast(new BpeBroadcast(model.toFiles()));
  }

  /** The model, rebuilt from its files on first use in this JVM. */
  public BpeModel model() {
    BpeModel m = model;
    if (m == null) {
      synchronized (this) {
        m = model;
        if (m == null) {
          m = BpeModel.fromFiles(files);
          model = m;
        }
      }
    }
    return m;
  }

  /** Encodes both sides of every pair on the executors. */
  public static JavaRDD<EncodedPair> encode(
      JavaRDD<PairRecord> pairs, Broadcast<BpeBroadcast> bpe) {
    return pairs.map(
        p -> {
          BpeModel m = bpe.value().model();
          return new EncodedPair(p.line(), m.encode(p.source()), m.encode(p.target()));
        });
  }
}
