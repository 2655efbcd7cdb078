package org.sparknmt.jobs.decode;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.train.Evaluation;
import org.sparknmt.prep.clean.Normalizer;
import scala.Tuple2;

/**
 * Decodes a test set on the cluster ({@link ClusterTranslation}) and scores it against its
 * references with sacreBLEU's BLEU and chrF: what {@code EvaluateJob} reports and what training
 * records in a bundle's metrics for its dev and test sets.
 *
 * @param hypotheses one translation per source line, in line order
 * @param metrics sentences, BLEU, chrF (with signatures), decoding time
 */
public record ClusterEvaluation(List<String> hypotheses, Map<String, Object> metrics) {

  /**
   * Decodes {@code source} with a bundle's model, its BPE and {@code decode} (normalised by {@code
   * normalizer}, as the corpus pipeline does) and scores it against {@code reference}.
   */
  public static ClusterEvaluation ofBundle(
      JavaSparkContext sc,
      DecodeSettings decode,
      Normalizer normalizer,
      org.sparknmt.jobs.store.ModelBundle bundle,
      URI source,
      URI reference,
      StageResources devices) {
    return run(
        sc,
        ModelSource.bundle(bundle.uri()),
        decode.bind(bundle),
        normalizer,
        source,
        reference,
        devices);
  }

  /**
   * Decodes {@code source} (one sentence per line, any Hadoop URI) with {@code model} and scores it
   * against {@code reference}; different line counts are a user error. The translations are
   * collected and put in line order on the driver (a {@code sortByKey} would sample its input
   * first, decoding every line twice).
   */
  public static ClusterEvaluation run(
      JavaSparkContext sc,
      ModelSource model,
      Decoding decoding,
      Normalizer normalizer,
      URI source,
      URI reference,
      StageResources devices) {
    // read where the decoding runs: with stage-level scheduling no default executor is needed
    List<String> refs = devices.onDevices(sc.textFile(reference.toString())).collect();
    JavaPairRDD<Long, String> lines =
        JavaPairRDD.fromJavaRDD(
            devices
                .onDevices(sc.textFile(source.toString()))
                .zipWithIndex()
                .map(t -> new Tuple2<>(t._2(), t._1())));
    long n = lines.count();
    if (n != refs.size()) {
      throw new UserError(
          "source "
              + source
              + " has "
              + n
              + " lines but reference "
              + reference
              + " has "
              + refs.size());
    }
    long t0 = System.nanoTime();
    List<String> hyps =
        ClusterTranslation.translate(sc, lines, model, decoding, normalizer, devices)
            .collect()
            .stream()
            .sorted(java.util.Comparator.comparing(Tuple2::_1))
            .map(Tuple2::_2)
            .toList();
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("sentences", n);
    metrics.putAll(Evaluation.corpusScores(hyps, refs));
    metrics.put("decodeSeconds", seconds);
    metrics.put("sentencesPerSecond", n / seconds);
    return new ClusterEvaluation(hyps, metrics);
  }
}
