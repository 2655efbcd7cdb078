package org.sparknmt.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.stats.EventStats;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.sparknmt.jobs.Cli;
import org.sparknmt.jobs.RunConfiguration;
import org.sparknmt.jobs.Sessions;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.train.AllReduceSplit;
import org.sparknmt.jobs.train.EpochPlan;
import org.sparknmt.jobs.train.ParameterAveragingTrainer;
import org.sparknmt.jobs.train.ScheduleKeepingTrainingMaster;
import org.sparknmt.jobs.train.ShardSet;
import org.sparknmt.jobs.train.TrainPipeline;
import org.sparknmt.jobs.train.TrainSettings;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;
import org.sparknmt.prep.spark.PackedBatchReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures training throughput of the configured model on a shard's batches: {@code --mode single}
 * fits them in this JVM with {@code ComputationGraph.fit} (the baseline), {@code --mode spark}
 * trains them exactly as {@code TrainJob} does (rounds dealt by {@code RoundPlan}, dl4j-spark
 * parameter averaging) on the Spark master in use, and breaks the time down with dl4j-spark's
 * training statistics. Prints one JSON line; parameter-averaging efficiency = spark tokens/s /
 * (workers × single tokens/s). Run on a local master, or submitted to a cluster, by {@code
 * bench/train_spark_bench.sh}.
 *
 * <p>In spark mode: {@code workerFitSeconds} = time a worker spends in {@code fit} (mean over
 * workers); {@code stragglerSeconds} = Σ over rounds of (slowest worker's fit − mean worker's fit),
 * i.e. waiting for the slowest worker; {@code averagingSeconds} = wall time − Σ over rounds of the
 * slowest worker's fit, i.e. everything that is not training: scheduling the round, broadcasting
 * the model, building it on the workers, loading batches that prefetch did not hide, aggregating
 * and applying the averaged parameters and updater state.
 */
@Command(
    name = "train-bench",
    mixinStandardHelpOptions = true,
    description = "Benchmark: training tokens/s in one JVM or with parameter averaging on Spark.")
public final class TrainBenchJob implements Callable<Integer> {
  private static final String FIT_TIMES = "ParameterAveragingWorkerFitTimesMs";
  private static final String WORKER_INIT = "ParameterAveragingWorkerInitTimeMs";
  private static final String ROUNDS = "ParameterAveragingMasterMapPartitionsTimesMs";
  private static final String DRIVER_UPDATE = "ParameterAveragingMasterProcessParamsUpdaterTimesMs";
  private static final String BROADCAST = "ParameterAveragingMasterBroadcastCreateTimesMs";
  private static final String COUNT = "ParameterAveragingMasterCountRddSizeTimesMs";
  private static final String INITIAL_MODEL = "WorkerFlatMapGetInitialModelTimeMs";
  private static final String BATCH_GET = "WorkerFlatMapDataSetGetTimesMs";
  private static final String TASK_TOTAL = "WorkerFlatMapTotalTimeMs";

  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(names = "--shards", required = true, description = "Shard directory (any Hadoop URI)")
  URI shards;

  @Option(names = "--mode", required = true, description = "single or spark")
  String mode;

  @Option(names = "--batches", defaultValue = "48", description = "Timed batches")
  int batches;

  @Option(names = "--warmup", defaultValue = "4", description = "Untimed batches first")
  int warmup;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    Cli.main(new TrainBenchJob(), args);
  }

  @Override
  public Integer call() {
    RunConfiguration config = RunConfiguration.of(Settings.load(conf));
    TrainSettings ts = config.train();
    try (SparkSession spark = Sessions.create(config.settings(), "train-bench " + mode)) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Configuration hadoop = sc.hadoopConfiguration();
      ShardSet set = ShardSet.open(shards, hadoop);
      ModelConfig cfg = config.model().forVocabulary(set.bpe().vocabulary().size());
      List<String> all = set.batches("train");
      // a fixed order (seed 1), so that every mode and version times the same batches, whatever
      // the warm-up: the timed ones from the front, the warm-up ones from the back
      List<String> order = new EpochPlan(all, 1, 1, 1, 1).order(0);
      if (order.size() < warmup + batches) {
        throw new UserError(
            "the shard has " + order.size() + " batches, fewer than " + (warmup + batches));
      }
      List<String> timed = order.subList(0, batches);
      List<String> warm = order.subList(order.size() - warmup, order.size());
      List<MultiDataSet> loaded = new ArrayList<>();
      double tokens = 0;
      for (String p : timed) {
        MultiDataSet m = load(p, hadoop);
        tokens += m.getLabelsMaskArray(0).sumNumber().doubleValue();
        loaded.add(m);
      }
      ComputationGraph net = TransformerFactory.build(cfg);
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("mode", mode);
      result.put("master", sc.master());
      double seconds;
      int workers = 1;
      if (mode.equals("single")) {
        for (String p : warm) {
          net.fit(load(p, hadoop));
        }
        long t0 = System.nanoTime();
        for (MultiDataSet m : loaded) {
          net.fit(m);
        }
        seconds = (System.nanoTime() - t0) / 1e9;
      } else if (mode.equals("spark")) {
        workers = ts.workers() > 0 ? ts.workers() : sc.defaultParallelism();
        StageResources devices = config.resources();
        var master =
            new ScheduleKeepingTrainingMaster(
                ParameterAveragingTrainer.builder(workers, set.batchSizePerWorker(), ts)
                    .collectTrainingStats(true),
                1,
                0,
                devices.resource(),
                ts.optimizerStateEveryRound(),
                ts.allReduce());
        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, master);
        ToLongFunction<String> work = TrainPipeline.batchWork(set);
        int splitSize = ts.roundsPerSplit() * workers * ts.batchesPerWorkerPerRound();
        fitSplits(sparkNet, warm, splitSize, workers, ts, work, devices);
        AllReduceSplit.Timings warmTimings = copy(master.allReduceTimings());
        long startMillis = System.currentTimeMillis();
        long t0 = System.nanoTime();
        fitSplits(sparkNet, timed, splitSize, workers, ts, work, devices);
        seconds = (System.nanoTime() - t0) / 1e9;
        result.put("averaging", ts.averaging());
        result.put("optimizerStateAveraging", ts.optimizerStateAveraging());
        result.put("averagingFrequency", ts.averagingFrequency());
        result.put("roundsPerSplit", ts.roundsPerSplit());
        result.putAll(
            ts.allReduce()
                ? breakdown(minus(master.allReduceTimings(), warmTimings), workers, seconds)
                : breakdown(sparkNet.getSparkTrainingStats(), startMillis, workers, seconds));
      } else {
        throw new UserError("--mode must be single or spark, not '" + mode + "'");
      }
      result.put("workers", workers);
      result.put("batches", batches);
      result.put("warmupBatches", warmup);
      result.put("targetTokens", tokens);
      result.put("seconds", seconds);
      result.put("tokensPerSec", tokens / seconds);
      result.put("params", net.params().length());
      PrintWriter out = spec.commandLine().getOut();
      out.println(new ObjectMapper().writeValueAsString(result));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Cli.EXIT_OK;
  }

  /** {@code batches} in splits of {@code splitSize}, as TrainJob cuts an epoch. */
  private static void fitSplits(
      SparkComputationGraph sparkNet,
      List<String> batches,
      int splitSize,
      int workers,
      TrainSettings ts,
      ToLongFunction<String> work,
      StageResources devices) {
    for (int from = 0; from < batches.size(); from += splitSize) {
      List<String> split = batches.subList(from, Math.min(batches.size(), from + splitSize));
      ParameterAveragingTrainer.fitSplit(
          sparkNet, split, workers, ts.batchesPerWorkerPerRound(), work, devices, false);
    }
  }

  private static AllReduceSplit.Timings copy(AllReduceSplit.Timings t) {
    return minus(t, new AllReduceSplit.Timings());
  }

  private static AllReduceSplit.Timings minus(AllReduceSplit.Timings a, AllReduceSplit.Timings b) {
    AllReduceSplit.Timings d = new AllReduceSplit.Timings();
    if (a == null) {
      return d;
    }
    d.rounds = a.rounds - b.rounds;
    d.meanFitSeconds = a.meanFitSeconds - b.meanFitSeconds;
    d.slowestFitSeconds = a.slowestFitSeconds - b.slowestFitSeconds;
    d.initialModelSeconds = a.initialModelSeconds - b.initialModelSeconds;
    d.transferSeconds = a.transferSeconds - b.transferSeconds;
    d.broadcastSeconds = a.broadcastSeconds - b.broadcastSeconds;
    d.driverUpdateSeconds = a.driverUpdateSeconds - b.driverUpdateSeconds;
    d.launchSeconds = a.launchSeconds - b.launchSeconds;
    d.joinSeconds = a.joinSeconds - b.joinSeconds;
    d.resultSeconds = a.resultSeconds - b.resultSeconds;
    return d;
  }

  /**
   * The same breakdown for all-reduce splits ({@link AllReduceSplit.Timings}): the per-round keys
   * of the driver path, with the split-level costs (broadcast, initial model, driver update) spread
   * over the rounds; {@code transferSecondsPerRound} is the all-reduce of the worker that arrived
   * last (≈ moving the bytes, no waiting).
   */
  static Map<String, Object> breakdown(AllReduceSplit.Timings t, int workers, double wallSeconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    int rounds = Math.max(1, t.rounds);
    m.put("rounds", t.rounds);
    m.put("workerFitSeconds", t.meanFitSeconds);
    m.put("stragglerSeconds", t.slowestFitSeconds - t.meanFitSeconds);
    m.put("averagingSeconds", wallSeconds - t.slowestFitSeconds);
    m.put("averagingSecondsPerRound", (wallSeconds - t.slowestFitSeconds) / rounds);
    m.put("workerInitSecondsPerRound", t.initialModelSeconds / rounds);
    m.put("broadcastSecondsPerRound", t.broadcastSeconds / rounds);
    m.put("initialModelSecondsPerRound", t.initialModelSeconds / rounds);
    m.put("transferSecondsPerRound", t.transferSeconds / rounds);
    m.put("countSecondsPerRound", 0.0);
    m.put("driverUpdateSecondsPerRound", t.driverUpdateSeconds / rounds);
    m.put("launchSecondsPerRound", t.launchSeconds / rounds);
    m.put("joinSecondsPerRound", t.joinSeconds / rounds);
    m.put("resultSecondsPerRound", t.resultSeconds / rounds);
    return m;
  }

  /** Where the time of the rounds that started after {@code startMillis} went (see class doc). */
  static Map<String, Object> breakdown(
      SparkTrainingStats stats, long startMillis, int workers, double wallSeconds) {
    List<EventStats> rounds = after(events(stats, ROUNDS), startMillis);
    List<EventStats> fits = after(events(stats, FIT_TIMES), startMillis);
    double fitSum = 0;
    double slowestSum = 0;
    for (EventStats round : rounds) {
      long end = round.getStartTime() + round.getDurationMs();
      Map<String, Long> perWorker = new HashMap<>();
      for (EventStats f : fits) {
        if (f.getStartTime() >= round.getStartTime() && f.getStartTime() <= end) {
          perWorker.merge(f.getJvmID() + "/" + f.getThreadID(), f.getDurationMs(), Long::sum);
        }
      }
      long slowest = perWorker.values().stream().mapToLong(Long::longValue).max().orElse(0);
      fitSum += perWorker.values().stream().mapToLong(Long::longValue).sum();
      slowestSum += slowest;
    }
    double meanFit = fitSum / 1000.0 / workers;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rounds", rounds.size());
    m.put("workerFitSeconds", meanFit);
    m.put("stragglerSeconds", slowestSum / 1000.0 - meanFit);
    m.put("averagingSeconds", wallSeconds - slowestSum / 1000.0);
    m.put("averagingSecondsPerRound", (wallSeconds - slowestSum / 1000.0) / rounds.size());
    m.put(
        "workerInitSecondsPerRound",
        sumSeconds(after(events(stats, WORKER_INIT), startMillis)) / workers / rounds.size());
    m.put(
        "broadcastSecondsPerRound",
        sumSeconds(after(events(stats, BROADCAST), startMillis)) / rounds.size());
    // inside the workers' tasks, mean over workers: the initial model (broadcast fetched and read,
    // copied into the kept graph), waiting for batches the prefetch did not have ready, the task
    for (String[] key :
        new String[][] {
          {"initialModelSecondsPerRound", INITIAL_MODEL},
          {"batchWaitSecondsPerRound", BATCH_GET},
          {"workerTaskSecondsPerRound", TASK_TOTAL}
        }) {
      m.put(
          key[0], sumSeconds(after(events(stats, key[1]), startMillis)) / workers / rounds.size());
    }
    m.put(
        "countSecondsPerRound",
        sumSeconds(after(events(stats, COUNT), startMillis)) / rounds.size());
    m.put(
        "driverUpdateSecondsPerRound",
        sumSeconds(after(events(stats, DRIVER_UPDATE), startMillis)) / rounds.size());
    return m;
  }

  /**
   * All events under {@code key} anywhere in the (nested) statistics, each once: dl4j-spark
   * 1.0.0-M2 hands the same worker events up more than once.
   */
  private static List<EventStats> events(SparkTrainingStats stats, String key) {
    Map<String, EventStats> unique = new LinkedHashMap<>();
    for (SparkTrainingStats s = stats; s != null; s = s.getNestedTrainingStats()) {
      if (s.getKeySet().contains(key) && s.getValue(key) != null) {
        for (EventStats e : s.getValue(key)) {
          String id =
              e.getJvmID()
                  + "/"
                  + e.getThreadID()
                  + "/"
                  + e.getStartTime()
                  + "/"
                  + e.getDurationMs();
          unique.putIfAbsent(id, e);
        }
      }
    }
    return new ArrayList<>(unique.values());
  }

  private static List<EventStats> after(List<EventStats> events, long startMillis) {
    return events.stream().filter(e -> e.getStartTime() >= startMillis).toList();
  }

  private static double sumSeconds(List<EventStats> events) {
    return events.stream().mapToLong(EventStats::getDurationMs).sum() / 1000.0;
  }

  private static MultiDataSet load(String ref, Configuration hadoop) throws IOException {
    try (PackedBatchReader reader = new PackedBatchReader(hadoop)) {
      return reader.load(ref);
    }
  }
}
