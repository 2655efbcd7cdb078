package org.sparknmt.jobs.decode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.prep.clean.Normalizer;
import scala.Tuple2;

/**
 * Batch translation on the executors: each executor loads the model once ({@link ModelSource}: a
 * bundle, verifying its checksums, or a broadcast model) and keeps it for all its tasks; each
 * partition's lines are normalised, decoded in length-sorted batches ({@link TextTranslator}), and
 * returned with their line numbers so the caller can write the output in input order.
 */
public final class ClusterTranslation {
  /** Models loaded in this JVM by {@link ModelSource#key}: the two used last. */
  private static final Map<String, ComputationGraph> MODELS =
      Collections.synchronizedMap(
          new LinkedHashMap<>(4, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ComputationGraph> eldest) {
              return size() > 2;
            }
          });

  private ClusterTranslation() {}

  /**
   * @param lines (line number, text) pairs
   * @return (line number, translation) pairs, one per input pair
   */
  public static JavaPairRDD<Long, String> translate(
      JavaSparkContext sc,
      JavaPairRDD<Long, String> lines,
      ModelSource source,
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
                return Collections.emptyIterator();
              }
              ComputationGraph model = model(source, conf.value().value());
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

  static ComputationGraph model(ModelSource source, Configuration conf) {
    synchronized (MODELS) {
      return MODELS.computeIfAbsent(source.key(), k -> source.load(conf));
    }
  }
}
