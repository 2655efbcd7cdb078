package org.sparknmt.jobs.decode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.gpu.TaskDevice;
import org.sparknmt.prep.clean.Normalizer;
import scala.Tuple2;

/**
 * Batch translation on the executors: each executor loads the model ({@link ModelSource}: a bundle,
 * verifying its checksums, or a broadcast model) once per concurrent task and keeps the copies for
 * later tasks; each partition's lines are normalised, decoded in length-sorted batches ({@link
 * TextTranslator}), and returned with their line numbers so the caller can write the output in
 * input order. The decoding stage runs where {@link StageResources} puts it (executors with a
 * device, with stage-level scheduling), each task bound to its device ({@link TaskDevice}).
 */
public final class ClusterTranslation {
  /**
   * Idle model copies in this JVM by {@link ModelSource#key}, for the two models used last. A graph
   * keeps per-call state, so a task borrows a copy of its own: tasks running side by side in one
   * executor (or in local mode) decode in parallel instead of queueing for one copy.
   */
  private static final Map<String, Queue<ComputationGraph>> IDLE =
      Collections.synchronizedMap(
          new LinkedHashMap<>(4, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Queue<ComputationGraph>> e) {
              return size() > 2;
            }
          });

  private ClusterTranslation() {}

  /**
   * @param lines (line number, text) pairs
   * @param devices where the decoding tasks run
   * @return (line number, translation) pairs, one per input pair
   */
  public static JavaPairRDD<Long, String> translate(
      JavaSparkContext sc,
      JavaPairRDD<Long, String> lines,
      ModelSource source,
      Decoding decoding,
      Normalizer normalizer,
      StageResources devices) {
    String resource = devices.resource();
    Broadcast<SerializableConfiguration> conf =
        sc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration()));
    JavaRDD<Tuple2<Long, String>> out =
        lines.<Tuple2<Long, String>>mapPartitions(
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
              // a model copy lives on one device: copies are cached per assigned GPU
              OptionalInt gpu = TaskDevice.bindAssigned(resource);
              Queue<ComputationGraph> idle =
                  idle(gpu.isPresent() ? source.key() + "@gpu" + gpu.getAsInt() : source.key());
              ComputationGraph model = idle.poll();
              if (model == null) {
                model = source.load(conf.value().value());
              }
              List<String> hyps;
              try {
                hyps = decoding.create(model).translate(text);
              } finally {
                idle.offer(model);
              }
              List<Tuple2<Long, String>> res = new ArrayList<>(ids.size());
              for (int i = 0; i < ids.size(); i++) {
                res.add(new Tuple2<>(ids.get(i), hyps.get(i)));
              }
              return res.iterator();
            });
    return JavaPairRDD.fromJavaRDD(devices.onDevices(out));
  }

  private static Queue<ComputationGraph> idle(String key) {
    synchronized (IDLE) {
      return IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
    }
  }
}
