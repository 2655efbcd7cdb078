package org.sparknmt.jobs.prep;

import com.typesafe.config.ConfigUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.sparknmt.jobs.Cli;
import org.sparknmt.jobs.Sessions;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The corpus pipeline as one spark-submit job: {@code --steps corpus,vocab,shard} (default: all).
 * {@link PrepareCorpusJob}, {@link BuildVocabJob} and {@link ShardJob} run one step each.
 *
 * <pre>
 * spark-submit --class org.sparknmt.jobs.prep.PrepareJob sparknmt-app.jar \
 *   --source data/train.en.gz --target data/train.es.gz \
 *   --dev-source data/dev.en.gz --dev-target data/dev.es.gz --out hdfs:///nmt/bible
 * </pre>
 */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description = "Validate, clean, learn joint BPE, encode and shard a parallel corpus.")
public class PrepareJob implements Callable<Integer> {
  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(names = "--source", description = "Source side: file or directory (sparknmt.data.source)")
  String source;

  @Option(names = "--target", description = "Target side, line-aligned (sparknmt.data.target)")
  String target;

  @Option(names = "--tsv", description = "One TSV of source<TAB>target instead (sparknmt.data.tsv)")
  String tsv;

  @Option(names = "--dev-source", description = "Dev set source (sparknmt.data.dev.source)")
  String devSource;

  @Option(names = "--dev-target", description = "Dev set target (sparknmt.data.dev.target)")
  String devTarget;

  @Option(names = "--test-source", description = "Test set source (sparknmt.data.test.source)")
  String testSource;

  @Option(names = "--test-target", description = "Test set target (sparknmt.data.test.target)")
  String testTarget;

  @Option(names = "--out", description = "Output directory, any Hadoop URI (sparknmt.data.output)")
  String out;

  @Option(
      names = "--steps",
      split = ",",
      description = "Steps to run, in order: corpus, vocab, shard (default: all)")
  List<String> steps;

  private final SparkSession session;

  public PrepareJob() {
    this(null);
  }

  /** With a session owned by the caller (tests); it is not stopped. */
  PrepareJob(SparkSession session) {
    this.session = session;
  }

  public static void main(String[] args) {
    Cli.main(new PrepareJob(), args);
  }

  /** The steps this job runs when {@code --steps} is not given. */
  protected List<String> defaultSteps() {
    return PreparePipeline.STEPS;
  }

  @Override
  public Integer call() {
    Settings settings = Settings.load(withPathOptions());
    PrepConfig cfg = PrepConfig.from(settings);
    cfg.requireOutput();
    List<String> run = steps == null || steps.isEmpty() ? defaultSteps() : steps;
    if (session != null) {
      new PreparePipeline(cfg).run(session, run);
      return Cli.EXIT_OK;
    }
    try (SparkSession spark = Sessions.create(settings, "prepare " + String.join(",", run))) {
      new PreparePipeline(cfg).run(spark, run);
    }
    return Cli.EXIT_OK;
  }

  /** Path options become {@code --set} overrides (which win over --conf files). */
  private ConfigOptions withPathOptions() {
    List<String> overrides = new ArrayList<>();
    add(overrides, "sparknmt.data.source", source);
    add(overrides, "sparknmt.data.target", target);
    add(overrides, "sparknmt.data.tsv", tsv);
    add(overrides, "sparknmt.data.dev.source", devSource);
    add(overrides, "sparknmt.data.dev.target", devTarget);
    add(overrides, "sparknmt.data.test.source", testSource);
    add(overrides, "sparknmt.data.test.target", testTarget);
    add(overrides, "sparknmt.data.output", out);
    overrides.addAll(conf.overrides());
    return new ConfigOptions(conf.files(), overrides);
  }

  private static void add(List<String> overrides, String key, String value) {
    if (value != null) {
      overrides.add(key + "=" + ConfigUtil.quoteString(value));
    }
  }
}
