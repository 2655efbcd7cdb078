package org.sparknmt.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.decode.ClusterEvaluation;
import org.sparknmt.jobs.store.HadoopFiles;
import org.sparknmt.jobs.store.ModelBundle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spark-submit --class org.sparknmt.jobs.EvaluateJob app.jar (--bundle URI | --models URI
 * --name N) (--shards URI [--eval-set test] | --source URI --reference URI) --out URI}: decodes a
 * test set on the cluster with the configured search (beam 4, length penalty 0.6 by default) and
 * writes {@code hypotheses.txt} (input order) and {@code metrics.json} (sacreBLEU BLEU and chrF
 * with their signatures) to {@code --out}, which must not exist (both files appear together).
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = "Decode a test set with a model bundle and score it (BLEU, chrF).")
public final class EvaluateJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  @Mixin ConfigOptions conf = new ConfigOptions();

  @ArgGroup(exclusive = false, multiplicity = "1")
  TranslateJob.BundleOptions model = new TranslateJob.BundleOptions();

  @Option(names = "--shards", description = "Shard directory whose evaluation set to use")
  URI shards;

  @Option(
      names = "--eval-set",
      defaultValue = "test",
      description = "Evaluation set of --shards (dev or test)")
  String set;

  @Option(names = "--source", description = "Source text (one sentence per line)")
  URI source;

  @Option(names = "--reference", description = "Reference text, line-aligned with --source")
  URI reference;

  @Option(names = "--out", required = true, description = "Output directory")
  URI out;

  public static void main(String[] args) {
    Cli.main(new EvaluateJob(), args);
  }

  @Override
  public Integer call() throws Exception {
    RunConfiguration config = RunConfiguration.of(Settings.load(conf));
    URI src = source;
    URI ref = reference;
    if (shards != null) {
      src = new Path(new Path(shards), set + "/source.txt").toUri();
      ref = new Path(new Path(shards), set + "/reference.txt").toUri();
    } else if (src == null || ref == null) {
      throw new UserError(
          "give --shards URI [--eval-set NAME], or --source URI and --reference URI");
    }
    try (SparkSession spark = Sessions.create(config.settings(), "evaluate")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Configuration hadoop = sc.hadoopConfiguration();
      ModelBundle bundle = model.open(hadoop);
      Map<String, Object> metrics = evaluate(sc, config, bundle, src, ref, out);
      LOG.info("{}", metrics);
    }
    return Cli.EXIT_OK;
  }

  /** Decodes {@code src} on the cluster, scores against {@code ref}, writes both to {@code out}. */
  public static Map<String, Object> evaluate(
      JavaSparkContext sc, RunConfiguration config, ModelBundle bundle, URI src, URI ref, URI out)
      throws java.io.IOException {
    Configuration hadoop = sc.hadoopConfiguration();
    FileSystem fs = HadoopFiles.fileSystem(out, hadoop);
    Path dir = HadoopFiles.qualified(fs, out);
    HadoopFiles.requireNewOutput(fs, dir);
    sc.setJobGroup("sparknmt-evaluate", "decode " + src + " with " + bundle.uri(), false);
    ClusterEvaluation eval =
        ClusterEvaluation.ofBundle(
            sc, config.decode(), config.data().normalizer(), bundle, src, ref, config.resources());
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("bundle", bundle.uri().toString());
    metrics.put("source", src.toString());
    metrics.put("reference", ref.toString());
    metrics.putAll(eval.metrics());
    // both files or neither: written next to --out and renamed into place together
    Path temp = HadoopFiles.tempSibling(dir);
    try {
      HadoopFiles.mkdirs(fs, temp);
      HadoopFiles.writeString(
          fs, new Path(temp, "hypotheses.txt"), String.join("\n", eval.hypotheses()) + "\n");
      HadoopFiles.writeString(
          fs,
          new Path(temp, "metrics.json"),
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(metrics));
      HadoopFiles.publishOutput(hadoop, temp, dir);
    } finally {
      if (fs.exists(temp)) {
        fs.delete(temp, true);
      }
    }
    LOG.info(
        "{} sentences in {} s: {} | {}",
        metrics.get("sentences"),
        String.format("%.1f", (Double) metrics.get("decodeSeconds")),
        metrics.get("bleuDetails"),
        String.format("chrF2 = %.2f", (Double) metrics.get("chrf")));
    return metrics;
  }
}
