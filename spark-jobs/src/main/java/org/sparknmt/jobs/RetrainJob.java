package org.sparknmt.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
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
import org.sparknmt.jobs.prep.PreparePipeline;
import org.sparknmt.jobs.store.DirectoryLock;
import org.sparknmt.jobs.store.HadoopFiles;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.jobs.train.Promotion;
import org.sparknmt.jobs.train.TrainPipeline;
import org.sparknmt.prep.spark.InputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Scheduled retraining, safe to fire at any time and any number of times: {@code RetrainJob
 * --snapshot DIR --dev-source … --test-source … --work URI --models URI --name NAME}.
 *
 * <ol>
 *   <li>Locks the model name ({@code <models>/models/<name>/.lock}): a second run exits 3 naming
 *       the holder.
 *   <li>Hashes the snapshot (a directory of TSV parts, {@code source<TAB>target}: each part's
 *       SHA-256, in name order) together with the configuration; if this snapshot was retrained
 *       with this configuration already, exits 5 and changes nothing.
 *   <li>Prepares {@code <work>/runs/<key>/data}: parts cleaned by an earlier snapshot come from the
 *       part cache {@code <work>/parts} (only new parts are cleaned); encodes with the champion's
 *       BPE ({@code retrain.vocabulary = champion}) or learns a new one ({@code rebuild}).
 *   <li>Trains into {@code <work>/runs/<key>/run} from the champion ({@code retrain.init =
 *       champion}, continuing its schedule or restarting warmup) or from scratch; a crash resumes
 *       from the last checkpoint when fired again.
 *   <li>Scores challenger and champion on the fixed test set and promotes by the {@link Promotion}
 *       rule; the decision goes into the bundle and the model's history.
 * </ol>
 *
 * Exit codes: 0 promoted, 4 kept (champion stays), 5 nothing to do, 3 locked, 2 bad input or
 * configuration, 1 failed.
 */
@Command(
    name = "retrain",
    mixinStandardHelpOptions = true,
    description =
        "Retrain a model on a data snapshot; promote the result only if it beats the champion.")
public final class RetrainJob implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RetrainJob.class);

  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(
      names = "--snapshot",
      required = true,
      description = "Data snapshot: a directory of TSV parts (source<TAB>target), any Hadoop URI")
  String snapshot;

  @Option(names = "--dev-source", required = true, description = "Fixed dev set, source side")
  String devSource;

  @Option(names = "--dev-target", required = true)
  String devTarget;

  @Option(
      names = "--test-source",
      required = true,
      description = "Fixed test set on which challenger and champion are compared")
  String testSource;

  @Option(names = "--test-target", required = true)
  String testTarget;

  @Option(
      names = "--work",
      required = true,
      description = "Retraining work directory: part cache, one run per snapshot")
  URI work;

  @Option(
      names = "--models",
      required = true,
      description = "Model store root: bundles go to ROOT/models/NAME/vNNNN")
  URI models;

  @Option(names = "--name", defaultValue = "default", description = "Model name in the store")
  String name;

  @Option(
      names = "--exit-codes",
      defaultValue = "distinct",
      description =
          "distinct: 0 promoted, 4 kept, 5 nothing to do; failures-only: those three exit 0 (for"
              + " schedulers that mark every non-zero exit failed). Locked (3), bad input (2) and"
              + " failure (1) are never 0.")
  String exitCodes;

  /** The exit code for {@code code} under {@code --exit-codes}. */
  private int exitCode(int code) {
    boolean notAFailure = code == Cli.EXIT_KEPT || code == Cli.EXIT_NOTHING_TO_DO;
    return "failures-only".equals(exitCodes) && notAFailure ? Cli.EXIT_OK : code;
  }

  public static void main(String[] args) {
    Cli.main(new RetrainJob(), args);
  }

  @Override
  @SuppressWarnings("try") // the lock is held for its side effect only
  public Integer call() {
    if (!List.of("distinct", "failures-only").contains(exitCodes)) {
      throw new UserError(
          "--exit-codes must be distinct or failures-only, not '" + exitCodes + "'");
    }
    RunConfiguration config = RunConfiguration.of(Settings.load(withData(conf.overrides())));
    try (SparkSession spark = Sessions.create(config.settings(), "retrain")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Configuration hadoop = sc.hadoopConfiguration();
      ModelStore store = ModelStore.at(models, hadoop);
      try (DirectoryLock lock =
          config
              .lock()
              .acquire(
                  store.modelUri(name),
                  hadoop,
                  "retraining of model '" + name + "' on " + snapshot)) {
        return exitCode(retrain(spark, sc, config, store));
      }
    }
  }

  private int retrain(
      SparkSession spark, JavaSparkContext sc, RunConfiguration config, ModelStore store) {
    Configuration hadoop = sc.hadoopConfiguration();
    List<String> parts = InputFiles.resolve(snapshot, hadoop);
    List<String> partHashes = InputFiles.sha256(sc, parts);
    StringBuilder listing = new StringBuilder();
    List<Map<String, String>> partList = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      String file = new Path(parts.get(i)).getName();
      listing.append(file).append('\t').append(partHashes.get(i)).append('\n');
      partList.add(Map.of("part", file, "sha256", partHashes.get(i)));
    }
    String snapshotSha = sha256(listing.toString());
    String configSha = sha256(trainingConfiguration(config.settings()));
    String key = sha256(snapshotSha + configSha).substring(0, 16);
    WorkDirectory runDir = WorkDirectory.at(work).retraining(key);
    Path outcome = new Path(runDir.outcome());
    FileSystem fs = HadoopFiles.fileSystem(outcome.toUri(), hadoop);
    try {
      if (fs.exists(outcome)) {
        System.out.println(
            "[retrain] nothing to do: snapshot "
                + snapshot
                + " (sha256 "
                + snapshotSha.substring(0, 12)
                + ") was retrained with this configuration already: "
                + HadoopFiles.readString(fs, outcome).replaceAll("\\s+", " "));
        return Cli.EXIT_NOTHING_TO_DO;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + outcome, e);
    }
    LOG.info(
        "retraining model {} on snapshot {} ({} parts, sha256 {}), configuration {}: {}",
        name,
        snapshot,
        parts.size(),
        snapshotSha,
        configSha.substring(0, 12),
        runDir.root());

    RunConfiguration run = config.withDataOutput(runDir.data().toString());
    RunConfiguration.RetrainPolicy policy = run.retrain();
    Optional<ModelBundle> champion = store.champion(name);
    SortedMap<String, String> bpe =
        policy.championVocabulary() ? champion.map(ModelBundle::bpeFiles).orElse(null) : null;
    new PreparePipeline(run.data()).runMissing(spark, bpe);

    Optional<ModelBundle> warmFrom = policy.warmStart() ? champion : Optional.empty();
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("snapshot", snapshot);
    context.put("snapshotSha256", snapshotSha);
    context.put("parts", partList);
    context.put("configurationSha256", configSha);
    context.put(
        "init",
        warmFrom
            .map(
                c ->
                    "warm start from "
                        + c.version()
                        + (policy.restartWarmup() ? " (restart schedule)" : " (continue schedule)"))
            .orElse("scratch"));
    TrainPipeline training =
        new TrainPipeline(run, runDir.shards(), runDir.run(), models, name)
            .decisionContext(context);
    warmFrom.ifPresent(
        c -> training.warmStart(new TrainPipeline.WarmStart(c, policy.restartWarmup())));
    ModelBundle bundle = training.runHoldingModelLock(spark);

    Optional<com.fasterxml.jackson.databind.JsonNode> decision = Promotion.decisionOf(bundle);
    boolean promoted = decision.map(d -> d.path("promote").asBoolean()).orElse(false);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("bundle", bundle.uri().toString());
    result.put("version", bundle.version());
    result.put("promoted", promoted);
    result.put("reason", decision.map(d -> d.path("reason").asText()).orElse(""));
    try {
      HadoopFiles.replaceWithString(
          fs,
          hadoop,
          outcome,
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + outcome, e);
    }
    System.out.println(
        "[retrain] "
            + (promoted ? "promoted " : "kept the champion; new ")
            + bundle.version()
            + ": "
            + result.get("reason"));
    return promoted ? Cli.EXIT_OK : Cli.EXIT_KEPT;
  }

  /** The command's data options as configuration overrides (after the user's own). */
  private ConfigOptions withData(List<String> userOverrides) {
    List<String> o = new ArrayList<>(userOverrides);
    o.add("sparknmt.data.tsv=" + quoted(snapshot));
    o.add("sparknmt.data.dev.source=" + quoted(devSource));
    o.add("sparknmt.data.dev.target=" + quoted(devTarget));
    o.add("sparknmt.data.test.source=" + quoted(testSource));
    o.add("sparknmt.data.test.target=" + quoted(testTarget));
    o.add("sparknmt.data.part-cache=" + quoted(WorkDirectory.at(work).partCache().toString()));
    return new ConfigOptions(conf.files(), o);
  }

  private static String quoted(String s) {
    return com.typesafe.config.ConfigUtil.quoteString(s);
  }

  /**
   * What the trained model depends on, as canonical text: every {@code sparknmt} setting but where
   * and how the job runs (Spark, locks, ND4J limits, permissions) and the paths this command sets.
   * The promotion rule counts: another margin is another retraining.
   */
  static String trainingConfiguration(Settings s) {
    Config c = s.raw().getConfig("sparknmt");
    for (String k :
        List.of(
            "spark",
            "lock",
            "nd4j",
            "doctor",
            "storage",
            "data.output",
            "data.part-cache",
            "data.tsv",
            "data.overwrite")) {
      c = c.withoutPath(k);
    }
    return c.root().render(ConfigRenderOptions.concise());
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
