package org.sparknmt.jobs.train;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.decode.ClusterEvaluation;
import org.sparknmt.jobs.decode.Decoding;
import org.sparknmt.jobs.decode.ModelSource;
import org.sparknmt.jobs.prep.PrepConfig;
import org.sparknmt.jobs.report.TrainingReport;
import org.sparknmt.jobs.store.Checkpoint;
import org.sparknmt.jobs.store.CheckpointStore;
import org.sparknmt.jobs.store.DirectoryLock;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.jobs.store.Provenance;
import org.sparknmt.jobs.store.TrainingState;
import org.sparknmt.model.CheckpointAverager;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.NoamSchedule;
import org.sparknmt.model.TransformerFactory;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.clean.Normalizer;

/**
 * What {@code TrainJob} does, step by step: open the shards, resume or start the run, train with
 * parameter averaging, average the last checkpoints, score dev and test, and write an immutable
 * model bundle (recorded in the run directory, so a re-run of a finished run only reports it).
 */
public final class TrainPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(TrainPipeline.class);
  static final String BUNDLE_POINTER = "bundle.txt";

  /** The model configuration a run started with, compared on every resume. */
  static final String MODEL_CONFIG = "model-config.json";

  /** The SHA-256 of the BPE model the run's shards were encoded with, compared on every resume. */
  static final String BPE_SHA256 = "bpe.sha256";

  private final Settings settings;
  private final URI shardsUri;
  private final URI runUri;
  private final URI modelsUri;
  private final String name;
  private WarmStart warmStart;
  private Map<String, Object> decisionContext = Map.of();

  public TrainPipeline(Settings settings, URI shards, URI run, URI models, String name) {
    this.settings = settings;
    this.shardsUri = shards;
    this.runUri = run;
    this.modelsUri = models;
    this.name = name;
  }

  /**
   * Start a new run from a trained model (fine-tuning, warm-started retraining) instead of random
   * parameters: its parameters, Adam state and model configuration; the shards must be encoded with
   * its BPE.
   *
   * @param restartWarmup start the learning-rate schedule (and its warmup) from step 0 again,
   *     instead of continuing at the model's step
   */
  public record WarmStart(ModelBundle from, boolean restartWarmup) {}

  public TrainPipeline warmStart(WarmStart w) {
    this.warmStart = w;
    return this;
  }

  /** What the promotion decision record should also carry (e.g. the data snapshot's hash). */
  public TrainPipeline decisionContext(Map<String, Object> context) {
    this.decisionContext = context;
    return this;
  }

  /**
   * Runs training to completion and returns the bundle, holding the model name's lock and the run
   * directory's lock throughout (a second job on either exits with {@link
   * org.sparknmt.jobs.LockedError} naming this one). The bundle is promoted by the {@link
   * Promotion} rule.
   */
  @SuppressWarnings("try") // the lock is held for its side effect only
  public ModelBundle run(SparkSession spark) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    URI modelDir = ModelStore.at(modelsUri, hadoop).modelUri(name);
    try (DirectoryLock lock =
        lock(modelDir, settings, hadoop, "training of model '" + name + "'")) {
      return runHoldingModelLock(spark);
    }
  }

  /** {@link #run} for a caller that holds the model name's lock already (RetrainJob). */
  @SuppressWarnings("try") // the lock is held for its side effect only
  public ModelBundle runHoldingModelLock(SparkSession spark) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try (DirectoryLock lock =
        lock(runUri, settings, hadoop, "training run of model '" + name + "'")) {
      return runLocked(spark);
    }
  }

  /**
   * Checks every training, model, decoding, promotion and lock setting, so that a job reports a bad
   * value before Spark starts and before any data is prepared ({@link org.sparknmt.jobs.UserError}
   * naming the key). The vocabulary size is known only after the vocab step: the model is checked
   * with 8,000.
   */
  public static void checkSettings(Settings s) {
    TrainSettings.from(s);
    ModelConfig model = ModelSettings.from(s, 8000);
    Decoding.factory(s, model, null);
    Promotion.from(s);
    lockStaleAfter(s);
    s.bool("sparknmt.lock.break-stale");
  }

  private static Duration lockStaleAfter(Settings s) {
    return Duration.ofSeconds(s.integer("sparknmt.lock.stale-after-seconds", 5, 7 * 24 * 3600));
  }

  /**
   * The lock on {@code dir} with the {@code sparknmt.lock} settings: a holder whose heartbeat is
   * older than {@code stale-after-seconds} is taken for dead, its lock broken only with {@code
   * break-stale}.
   */
  public static DirectoryLock lock(URI dir, Settings s, Configuration conf, String purpose) {
    return DirectoryLock.acquire(
        dir, conf, purpose, lockStaleAfter(s), s.bool("sparknmt.lock.break-stale"));
  }

  private ModelBundle runLocked(SparkSession spark) {
    Instant start = Instant.now();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = sc.hadoopConfiguration();
    TrainSettings ts = TrainSettings.from(settings);
    ShardSet shards = ShardSet.open(shardsUri, hadoop);
    BpeModel bpe = shards.bpe();
    ModelStore store = ModelStore.at(modelsUri, hadoop);

    Optional<String> done = RunFiles.read(runUri, BUNDLE_POINTER, hadoop);
    if (done.isPresent()) {
      ModelBundle bundle = store.open(name, done.get());
      LOG.info("run {} already finished: bundle {} (not trained again)", runUri, bundle.uri());
      Promotion.apply(store, bundle); // a no-op unless the last attempt stopped before it
      return bundle;
    }

    if (ts.verifyShards()) { // before anything is written into the run directory
      sc.setJobGroup("sparknmt-verify", "check the training batches' checksums", false);
      shards.verifyBatches(sc, "train");
    }
    ModelConfig modelConfig =
        warmStart == null
            ? ModelSettings.from(settings, bpe.vocabulary().size())
            : warmStartConfig(warmStart.from(), bpe);
    int workers = ts.workers() > 0 ? ts.workers() : sc.defaultParallelism();
    CheckpointStore checkpoints = CheckpointStore.open(runUri, hadoop, ts.keepCheckpoints());
    TrainingReport report = TrainingReport.at(RunFiles.child(runUri, "report"), hadoop);

    ComputationGraph model;
    TrainingState state;
    Optional<Checkpoint.Restored> resume = checkpoints.restoreLatest();
    if (resume.isPresent()) {
      requireSameModel(modelConfig, hadoop);
      requireSameBpe(bpe, hadoop);
      model = resume.get().model();
      state = resume.get().state();
      int dropped = report.dropAfter(state.iteration());
      LOG.info(
          "resuming from {} (epoch {}, next batch {}, iteration {}); {} report lines after it dropped",
          resume.get().checkpoint().name(),
          state.epoch(),
          state.nextBatch(),
          state.iteration(),
          dropped);
    } else if (warmStart != null) {
      model = warmStart.from().loadModel(true);
      if (warmStart.restartWarmup()) {
        model.getConfiguration().setIterationCount(0);
        model.getConfiguration().setEpochCount(0);
      }
      state = TrainingState.initial(ts.seed(), ts.seed());
      LOG.info(
          "new run {} warm-started from {} at step {} (model configuration as that bundle's)",
          runUri,
          warmStart.from().uri(),
          model.getConfiguration().getIterationCount());
    } else {
      model = TransformerFactory.build(modelConfig);
      state = TrainingState.initial(ts.seed(), ts.seed());
      LOG.info(
          "new run {}: {} parameters, config {}",
          runUri,
          model.params().length(),
          modelConfig.toJson().replaceAll("\\s+", " "));
    }

    if (resume.isEmpty()) {
      RunFiles.write(runUri, MODEL_CONFIG, modelConfig.toJson(), hadoop);
      RunFiles.write(runUri, BPE_SHA256, bpe.sha256(), hadoop);
    }
    Decoding translators = Decoding.factory(settings, modelConfig, bpe);
    Validator validator =
        new DevValidator(
            shards.loadBatches("dev"),
            shards.has("dev") ? shards.sourceText("dev") : List.of(),
            shards.has("dev") ? shards.referenceText("dev") : List.of(),
            ts.devBleuSentences(),
            translators);
    List<String> batches = shards.batches("train");
    EpochPlan plan =
        new EpochPlan(
            batches,
            state.shuffleSeed(),
            workers,
            ts.batchesPerWorkerPerRound(),
            ts.roundsPerSplit());
    if (!state.finished()) {
      state =
          new ParameterAveragingTrainer(
                  sc,
                  ts,
                  plan,
                  workers,
                  shards.batchSizePerWorker(),
                  shards.targetTokensPerTrainBatch(),
                  NoamSchedule.of(modelConfig),
                  checkpoints,
                  report,
                  validator,
                  batchWork(shards))
              .train(model, state);
    }

    ComputationGraph result = averaged(checkpoints, ts, model);
    Map<String, Object> metrics = new LinkedHashMap<>();
    Map<String, Map<String, Object>> bySet = new LinkedHashMap<>();
    Map<String, List<String>> hypotheses = new LinkedHashMap<>();
    ModelSource finalModel = ModelSource.broadcast(sc, result);
    Normalizer normalizer = PrepConfig.from(settings).normalizer();
    for (String set : List.of("dev", "test")) {
      if (shards.has(set)) {
        sc.setJobGroup(
            "sparknmt-evaluate", "decode the " + set + " set with the final model", false);
        ClusterEvaluation eval =
            ClusterEvaluation.run(
                sc,
                finalModel,
                translators,
                normalizer,
                shards.textUri(set, "source.txt"),
                shards.textUri(set, "reference.txt"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", Evaluation.loss(result, shards.loadBatches(set)));
        m.putAll(eval.metrics());
        metrics.put(set, m);
        bySet.put(set, m);
        hypotheses.put(set, eval.hypotheses());
        LOG.info("final model on {}: {}", set, m.get("bleuDetails"));
      }
    }
    metrics.put("bestValidation", state.bestScore());
    metrics.put("iterations", state.iteration());
    metrics.put("averagedCheckpoints", Math.min(ts.averageLast(), checkpoints.complete().size()));
    report.render();

    Map<String, String> data = new LinkedHashMap<>();
    data.put("shards", shards.uri().toString());
    data.put("bpeSha256", bpe.sha256());
    data.put("manifestSha256", shards.manifestSha256());
    Promotion promotion = Promotion.from(settings);
    String evalSet = promotion.evalSet();
    Map<String, Object> context = new LinkedHashMap<>(decisionContext);
    context.put("run", runUri.toString());
    context.putAll(data);
    Promotion.Decision decision =
        promotion.decide(
            sc,
            settings,
            store,
            name,
            bySet,
            shards.has(evalSet) ? shards.textUri(evalSet, "source.txt") : null,
            shards.has(evalSet) ? shards.textUri(evalSet, "reference.txt") : null,
            context);
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("run", runUri.toString());
    extra.put("sparkMaster", sc.master());
    ModelBundle bundle =
        store
            .writer(name)
            .model(result)
            .bpe(shards.bpeFiles())
            .configJson(configJson(modelConfig))
            .metrics(metrics)
            .hypotheses(hypotheses)
            .json(Promotion.DECISION, decision.record())
            .provenance(Provenance.of(data, start, Instant.now(), workers, extra))
            .commit();
    RunFiles.write(runUri, BUNDLE_POINTER, bundle.version(), hadoop);
    LOG.info("model bundle {} written; report {}", bundle.uri(), report.indexUri());
    Promotion.apply(store, bundle);
    return bundle;
  }

  /**
   * Refuses to resume a run whose model configuration (shape, dropout, schedule, vocabulary) is not
   * the one it started with: the checkpoint would silently win over the changed settings.
   */
  private void requireSameModel(ModelConfig now, Configuration hadoop) {
    Optional<String> started = RunFiles.read(runUri, MODEL_CONFIG, hadoop);
    if (started.isEmpty()) {
      return; // a run started before this file existed
    }
    List<String> changed = ModelConfigDiff.changedKeys(ModelConfig.fromJson(started.get()), now);
    if (!changed.isEmpty()) {
      throw new org.sparknmt.jobs.UserError(
          "cannot resume "
              + runUri
              + ": it was started with another model configuration; changed: "
              + String.join(", ", changed)
              + " (restore those settings, or train into a new --run directory)");
    }
  }

  /**
   * Refuses to resume a run on shards encoded with another BPE model than the one it started with:
   * the checkpoint's embeddings would be read against other token ids, silently.
   */
  private void requireSameBpe(BpeModel bpe, Configuration hadoop) {
    Optional<String> started = RunFiles.read(runUri, BPE_SHA256, hadoop);
    if (started.isPresent() && !started.get().equals(bpe.sha256())) {
      throw new org.sparknmt.jobs.UserError(
          "cannot resume "
              + runUri
              + ": it was started on shards encoded with another BPE model (sha256 "
              + started.get()
              + "), these shards ("
              + shardsUri
              + ") have "
              + bpe.sha256()
              + " (use the shards the run started with, or train into a new --run directory)");
    }
  }

  /** The warm start's model configuration; its BPE must be the one the shards were encoded with. */
  private static ModelConfig warmStartConfig(ModelBundle from, BpeModel shardsBpe) {
    String fromSha = BpeModel.fromFiles(from.bpeFiles()).sha256();
    if (!fromSha.equals(shardsBpe.sha256())) {
      throw new org.sparknmt.jobs.UserError(
          "cannot warm-start from "
              + from.uri()
              + ": the shards were encoded with another BPE model (sha256 "
              + shardsBpe.sha256()
              + ", the bundle's is "
              + fromSha
              + "); encode the data with the bundle's BPE or train from scratch");
    }
    return org.sparknmt.jobs.decode.Decoding.modelConfig(from);
  }

  private String configJson(ModelConfig modelConfig) {
    return "{\n\"model\": "
        + modelConfig.toJson().trim()
        + ",\n\"sparknmt\": "
        + settings.toJson().trim()
        + "\n}\n";
  }

  /**
   * The work in each training batch (padded positions, from the shard's index) for {@link
   * RoundPlan}.
   */
  public static ToLongFunction<String> batchWork(ShardSet shards) {
    Map<String, Long> work = shards.batchWork("train");
    return ref -> {
      Long w = work.get(ref);
      if (w == null) {
        throw new IllegalArgumentException("not a training batch of " + shards.uri() + ": " + ref);
      }
      return w;
    };
  }

  /**
   * Average of the parameters of the last {@code average-last} checkpoints (paper: 5) — the last
   * written, or the last epoch ends ({@code average-checkpoints}) — or the model itself.
   */
  private static ComputationGraph averaged(
      CheckpointStore store, TrainSettings ts, ComputationGraph model) {
    int n = ts.averageLast();
    List<Checkpoint> last =
        TrainSettings.AVERAGE_EPOCH_ENDS.equals(ts.averageCheckpoints())
            ? store.lastEpochEnds(n)
            : store.lastN(n);
    if (n <= 1 || last.size() <= 1) {
      return model;
    }
    LOG.info("averaging the parameters of {} checkpoints: {}", last.size(), last);
    List<ComputationGraph> graphs = last.stream().map(c -> c.loadModel(false)).toList();
    return CheckpointAverager.average(graphs);
  }
}
