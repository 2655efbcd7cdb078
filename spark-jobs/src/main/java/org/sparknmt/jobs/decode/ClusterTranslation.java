package org.sparknmt.jobs.decode;

import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.prep.clean.Normalizer;
import scala.Tuple2;

/**
 * Batch translation on the executors: each executor loads the bundle's model once (verifying its
 * checksums) and keeps it for all its tasks; each partition's lines are normalised, decoded in
 * length-sorted batches ({@link TextTranslator}), and returned with their line numbers so the
 * caller can write the output in input order.
 */
public final class ClusterTranslation {
  /** Models loaded in this JVM, by bundle URI (bundles are immutable). */
  private static final ConcurrentHashMap<URI, ComputationGraph> MODELS = new ConcurrentHashMap<>();

  private ClusterTranslation() {}

  /**
   * @param lines (line number, text) pairs
   * @return (line number, translation) pairs, one per input pair
   */
  public static JavaPairRDD<Long, String> translate(
      JavaSparkContext sc,
      JavaPairRDD<Long, String> lines,
      URI bundle,
      Decoding decoding,
      Normalizer normalizer) {
    Broadcast<SerializableConfiguration> conf =
        sc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration()));
    JavaRDD<Tuple2<Long, String>> out =
        lines.mapPartitions(
            (Iterator<Tuple2<Long, String>> part) -> {
              List<Long> ids = new ArrayList<>();
              List<String> text = new ArrayList<>();
              while (part.hasNext()) {
                Tuple2<Long, String> t = part.next();
                ids.add(t._1());
                text.add(normalizer.normalize(t._2()));
              }
              if (ids.isEmpty()) {
                return java.util.Collections.emptyIterator();
              }
              ComputationGraph model = model(bundle, conf.value().value());
              List<String> hyps;
              synchronized (model) {
                hyps = decoding.create(model).translate(text);
              }
              List<Tuple2<Long, String>> res = new ArrayList<>(ids.size());
              for (int i = 0; i < ids.size(); i++) {
                res.add(new Tuple2<>(ids.get(i), hyps.get(i)));
              }
              return res.iterator();
            });
    return JavaPairRDD.fromJavaRDD(out);
  }

  static ComputationGraph model(URI bundle, Configuration conf) {
    return MODELS.computeIfAbsent(bundle, b -> ModelBundle.open(b, conf).loadModel(false));
  }
}
