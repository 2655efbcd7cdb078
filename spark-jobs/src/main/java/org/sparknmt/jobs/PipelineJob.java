package org.sparknmt.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.prep.PreparePipeline;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.train.Promotion;
import org.sparknmt.jobs.train.ShardSet;
import org.sparknmt.jobs.train.TrainPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole pipeline in one Spark application — prepare (clean, BPE, shard) → train → evaluate on
 * the test split (by training: the bundle's metrics) → print BLEU/chrF, where the bundle and report
 * are, and a few sample translations. Every step is idempotent: a re-run reuses finished steps
 * (shards, a finished training run) and resumes an interrupted training run from its last
 * checkpoint.
 *
 * <pre>
 * PipelineJob --source train.en.gz --target train.es.gz --dev-source … --test-source … --work DIR
 * </pre>
 */
@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = "Prepare, train, evaluate and sample-translate in one run.")
public final class PipelineJob implements Callable<Integer> {
  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(names = "--source", required = true, description = "Training source text")
  String source;

  @Option(names = "--target", required = true, description = "Training target text")
  String target;

  @Option(names = "--dev-source", required = true)
  String devSource;

  @Option(names = "--dev-target", required = true)
  String devTarget;

  @Option(names = "--test-source", required = true)
  String testSource;

  @Option(names = "--test-target", required = true)
  String testTarget;

  @Option(names = "--work", required = true, description = "Work directory (any Hadoop URI)")
  URI work;

  @Option(names = "--name", defaultValue = "default", description = "Model name in the store")
  String name;

  @Option(names = "--samples", defaultValue = "5", description = "Test sentences to show")
  int samples;

  public static void main(String[] args) {
    Cli.main(new PipelineJob(), args);
  }

  @Override
  public Integer call() throws Exception {
    List<String> overrides = new ArrayList<>(conf.overrides());
    overrides.add("sparknmt.data.source=\"" + source + "\"");
    overrides.add("sparknmt.data.target=\"" + target + "\"");
    overrides.add("sparknmt.data.dev.source=\"" + devSource + "\"");
    overrides.add("sparknmt.data.dev.target=\"" + devTarget + "\"");
    overrides.add("sparknmt.data.test.source=\"" + testSource + "\"");
    overrides.add("sparknmt.data.test.target=\"" + testTarget + "\"");
    RunConfiguration given =
        RunConfiguration.of(Settings.load(new ConfigOptions(conf.files(), overrides)));
    // the prepared data goes to sparknmt.data.output if the user set it, else to WORK/data
    WorkDirectory dir = WorkDirectory.at(work).withData(given.data().output());
    RunConfiguration config = given.withDataOutput(dir.data().toString());
    try (SparkSession spark = Sessions.create(config.settings(), "pipeline")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      URI shards = dir.shards();
      // steps finished by an earlier run are reused (each step's output appears whole or not)
      new PreparePipeline(config.data()).runMissing(spark, null);
      ModelBundle bundle =
          new TrainPipeline(config, shards, dir.run(), dir.models(), name).run(spark);
      // the bundle's test metrics and hypotheses: the test set is decoded once, by training
      JsonNode test = bundle.metrics().path("test");
      // read on the driver: no executor is started for a few lines
      ShardSet shardSet = ShardSet.open(shards, sc.hadoopConfiguration());
      List<String> testSources = shardSet.sourceText("test");
      List<String> testRefs = shardSet.referenceText("test");
      String hypothesesFile = ModelBundle.hypothesesFile("test");
      List<String> hyps = bundle.readText(hypothesesFile).lines().limit(samples).toList();
      StringBuilder out = new StringBuilder();
      out.append("\n==== sparknmt pipeline finished ====\n");
      out.append(
          String.format(
              "test BLEU  %.2f  (%s)%n",
              test.path("bleu").asDouble(), test.path("bleuSignature").asText()));
      out.append(
          String.format(
              "test chrF  %.2f  (%s)%n",
              test.path("chrf").asDouble(), test.path("chrfSignature").asText()));
      out.append("model bundle: ").append(bundle.uri()).append('\n');
      Promotion.decisionOf(bundle)
          .ifPresent(
              d ->
                  out.append("promotion: ")
                      .append(d.path("promote").asBoolean() ? "champion" : "not promoted")
                      .append(" (")
                      .append(d.path("reason").asText())
                      .append(")\n"));
      out.append("training report: ").append(dir.report()).append('\n');
      out.append("test hypotheses: ")
          .append(new Path(new Path(bundle.uri()), hypothesesFile))
          .append('\n');
      for (int i = 0; i < hyps.size(); i++) {
        out.append("\nsource:      ").append(testSources.get(i));
        out.append("\nreference:   ").append(testRefs.get(i));
        out.append("\ntranslation: ").append(hyps.get(i)).append('\n');
      }
      System.out.println(out);
    }
    return Cli.EXIT_OK;
  }
}
