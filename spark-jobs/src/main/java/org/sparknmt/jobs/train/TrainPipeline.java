package org.sparknmt.jobs.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
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
import org.sparknmt.jobs.RunConfiguration;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.decode.ClusterEvaluation;
import org.sparknmt.jobs.decode.Decoding;
import org.sparknmt.jobs.decode.ModelSource;
import org.sparknmt.jobs.gpu.StageResources;
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

  /**
   * What a run started with — its model configuration, the SHA-256 of the BPE model its shards were
   * encoded with, every setting — written when it starts and compared on every resume.
   */
  static final String RUN_CONFIG = "run-config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunConfiguration config;
  private final URI shardsUri;
  private final URI runUri;
  private final URI modelsUri;
  private final String name;
  private WarmStart warmStart;
  private Map<String, Object> decisionContext = Map.of();

  public TrainPipeline(RunConfiguration config, URI shards, URI run, URI models, String name) {
    this.config = config;
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
        config.lock().acquire(modelDir, hadoop, "training of model '" + name + "'")) {
      return runHoldingModelLock(spark);
    }
  }

  /** {@link #run} for a caller that holds the model name's lock already (RetrainJob). */
  @SuppressWarnings("try") // the lock is held for its side effect only
  public ModelBundle runHoldingModelLock(SparkSession spark) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try (DirectoryLock lock =
        config.lock().acquire(runUri, hadoop, "training run of model '" + name + "'")) {
      return runLocked(spark);
    }
  }

  private ModelBundle runLocked(SparkSession spark) {
    Instant start = Instant.now();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = sc.hadoopConfiguration();
    TrainSettings ts = config.train();
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
            ? config.model().forVocabulary(bpe.vocabulary().size())
            : warmStartConfig(warmStart.from(), bpe);
    int workers = ts.workers() > 0 ? ts.workers() : sc.defaultParallelism();
    CheckpointStore checkpoints = CheckpointStore.open(runUri, hadoop, ts.keepCheckpoints());
    TrainingReport report = TrainingReport.at(RunFiles.child(runUri, "report"), hadoop);

    ComputationGraph model;
    TrainingState state;
    Optional<Checkpoint.Restored> resume = checkpoints.restoreLatest();
    if (resume.isPresent()) {
      requireSameStart(modelConfig, bpe, hadoop);
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
      RunFiles.write(runUri, RUN_CONFIG, runConfigJson(modelConfig, bpe), hadoop);
    }
    Decoding translators = config.decode().bind(modelConfig, bpe);
    // one profile for the whole run: each ResourceProfile instance gets executors of its own
    StageResources devices = config.resources();
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
                  batchWork(shards),
                  devices)
              .train(model, state);
    }

    ComputationGraph result = averaged(checkpoints, ts, model);
    Map<String, Object> metrics = new LinkedHashMap<>();
    Map<String, Map<String, Object>> bySet = new LinkedHashMap<>();
    Map<String, List<String>> hypotheses = new LinkedHashMap<>();
    ModelSource finalModel = ModelSource.broadcast(sc, result);
    Normalizer normalizer = config.data().normalizer();
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
                shards.textUri(set, "reference.txt"),
                devices);
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
    Promotion promotion = config.promotion();
    String evalSet = promotion.evalSet();
    Map<String, Object> context = new LinkedHashMap<>(decisionContext);
    context.put("run", runUri.toString());
    context.putAll(data);
    Promotion.Decision decision =
        promotion.decide(
            sc,
            config.decode(),
            normalizer,
            store,
            name,
            bySet,
            shards.has(evalSet) ? shards.textUri(evalSet, "source.txt") : null,
            shards.has(evalSet) ? shards.textUri(evalSet, "reference.txt") : null,
            context,
            devices);
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

  /** {@link #RUN_CONFIG}: the model configuration, the BPE model's SHA-256, every setting. */
  private String runConfigJson(ModelConfig modelConfig, BpeModel bpe) {
    return "{\n\"model\": "
        + modelConfig.toJson().trim()
        + ",\n\"bpeSha256\": \""
        + bpe.sha256()
        + "\",\n\"sparknmt\": "
        + config.settings().toJson().trim()
        + "\n}\n";
  }

  /**
   * Refuses to resume a run whose model configuration (shape, dropout, schedule, vocabulary) or BPE
   * model is not the one it started with: the checkpoint would silently win over the changed
   * settings, or its embeddings be read against other token ids. Other changed settings (more
   * epochs, another validation interval) are allowed and logged.
   */
  private void requireSameStart(ModelConfig now, BpeModel bpe, Configuration hadoop) {
    Optional<String> started = RunFiles.read(runUri, RUN_CONFIG, hadoop);
    if (started.isEmpty()) {
      return; // a run started before this file existed
    }
    JsonNode start;
    try {
      start = JSON.readTree(started.get());
    } catch (JsonProcessingException e) {
      throw new UserError("cannot resume " + runUri + ": its " + RUN_CONFIG + " is unreadable", e);
    }
    List<String> changed =
        ModelConfigDiff.changedKeys(ModelConfig.fromJson(start.path("model").toString()), now);
    if (!changed.isEmpty()) {
      throw new UserError(
          "cannot resume "
              + runUri
              + ": it was started with another model configuration; changed: "
              + String.join(", ", changed)
              + " (restore those settings, or train into a new --run directory)");
    }
    String startBpe = start.path("bpeSha256").asText();
    if (!startBpe.equals(bpe.sha256())) {
      throw new UserError(
          "cannot resume "
              + runUri
              + ": it was started on shards encoded with another BPE model (sha256 "
              + startBpe
              + "), these shards ("
              + shardsUri
              + ") have "
              + bpe.sha256()
              + " (use the shards the run started with, or train into a new --run directory)");
    }
    JsonNode settingsNow;
    try {
      settingsNow = JSON.readTree(config.settings().toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (!settingsNow.equals(start.path("sparknmt"))) {
      LOG.info("resuming {} with settings changed since it started", runUri);
    }
  }

  /** The warm start's model configuration; its BPE must be the one the shards were encoded with. */
  private static ModelConfig warmStartConfig(ModelBundle from, BpeModel shardsBpe) {
    String fromSha = BpeModel.fromFiles(from.bpeFiles()).sha256();
    if (!fromSha.equals(shardsBpe.sha256())) {
      throw new UserError(
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
        + config.settings().toJson().trim()
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
