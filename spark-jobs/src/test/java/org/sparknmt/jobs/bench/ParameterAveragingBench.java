package org.sparknmt.jobs.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.sparknmt.jobs.Sessions;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.train.EpochPlan;
import org.sparknmt.jobs.train.ModelSettings;
import org.sparknmt.jobs.train.ParameterAveragingTrainer;
import org.sparknmt.jobs.train.ScheduleKeepingTrainingMaster;
import org.sparknmt.jobs.train.ShardSet;
import org.sparknmt.jobs.train.TrainSettings;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;

/**
 * Benchmark (not a test): training throughput of the same model on the same batch files, (a) in a
 * single JVM with {@code ComputationGraph.fit} and (b) with dl4j-spark parameter averaging on the
 * Spark master given by {@code sparknmt.spark.master} ({@code local[N]} or a cluster), reporting
 * non-pad target tokens/s and the parameter-averaging efficiency (b) / (workers × (a)).
 *
 * <p>Usage: {@code ParameterAveragingBench SHARDS_URI BATCHES MODE [--conf F] [--set k=v]...} with
 * MODE {@code single} or {@code spark}; prints one JSON line.
 */
public final class ParameterAveragingBench {
  private ParameterAveragingBench() {}

  public static void main(String[] args) throws IOException {
    URI shards = URI.create(args[0]);
    int batches = Integer.parseInt(args[1]);
    String mode = args[2];
    List<String> files = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    for (int i = 3; i < args.length; i += 2) {
      (args[i].equals("--conf") ? files : sets).add(args[i + 1]);
    }
    Settings settings = Settings.load(new ConfigOptions(files, sets));
    TrainSettings ts = TrainSettings.from(settings);
    try (SparkSession spark = Sessions.create(settings, "bench")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      ShardSet set = ShardSet.open(shards, sc.hadoopConfiguration());
      ModelConfig cfg = ModelSettings.from(settings, set.bpe().vocabulary().size());
      List<String> paths = new EpochPlan(set.batchPaths("train"), 1, 1, 1, 1).order(0);
      List<String> warm = paths.subList(0, 4);
      List<String> timed = paths.subList(4, 4 + batches);
      double tokens = 0;
      List<MultiDataSet> loaded = new ArrayList<>();
      for (String p : timed) {
        MultiDataSet m = load(p);
        tokens += m.getLabelsMaskArray(0).sumNumber().doubleValue();
        loaded.add(m);
      }
      ComputationGraph net = TransformerFactory.build(cfg);
      double seconds;
      int workers = 1;
      if (mode.equals("single")) {
        for (String p : warm) {
          net.fit(load(p));
        }
        long t0 = System.nanoTime();
        for (MultiDataSet m : loaded) {
          net.fit(m);
        }
        seconds = (System.nanoTime() - t0) / 1e9;
      } else {
        workers = ts.workers() > 0 ? ts.workers() : sc.defaultParallelism();
        var tm =
            new ScheduleKeepingTrainingMaster(
                ParameterAveragingTrainer.builder(workers, set.batchSizePerWorker(), ts));
        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, tm);
        sparkNet.fitPathsMultiDataSet(sc.parallelize(warm, workers));
        long t0 = System.nanoTime();
        sparkNet.fitPathsMultiDataSet(sc.parallelize(timed, workers));
        seconds = (System.nanoTime() - t0) / 1e9;
      }
      System.out.printf(
          "{\"mode\":\"%s\",\"master\":\"%s\",\"workers\":%d,\"batches\":%d,\"targetTokens\":%.0f,"
              + "\"seconds\":%.2f,\"tokensPerSec\":%.1f,\"params\":%d}%n",
          mode,
          sc.master(),
          workers,
          batches,
          tokens,
          seconds,
          tokens / seconds,
          net.params().length());
    }
  }

  private static MultiDataSet load(String path) throws IOException {
    MultiDataSet m = new MultiDataSet();
    try (InputStream in = Files.newInputStream(Path.of(URI.create(path)))) {
      m.load(in);
    }
    return m;
  }
}
