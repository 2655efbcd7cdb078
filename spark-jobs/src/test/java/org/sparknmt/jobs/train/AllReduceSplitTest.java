package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;

/**
 * {@link AllReduceSplit} trains what the driver path trains: two workers in Spark {@code local[2]},
 * the same split, the same starting model (no dropout, so training is deterministic) end with the
 * same parameters, Adam moments, iteration count and loss, also when the last round leaves a worker
 * without a batch.
 */
class AllReduceSplitTest {
  private static JavaSparkContext sc;

  @BeforeAll
  static void start() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("all-reduce-split")
                .set("spark.ui.enabled", "false")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set(
                    "spark.kryo.registrator",
                    org.sparknmt.jobs.kryo.NdArrayKryoRegistrator.class.getName()));
  }

  @AfterAll
  static void stop() {
    sc.close();
  }

  @BeforeEach
  void noKeptGraphs() {
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());
  }

  private static ComputationGraph model() {
    ComputationGraph g =
        TransformerFactory.build(
            ModelConfig.preset("tiny", 12).toBuilder()
                .dModel(8)
                .heads(2)
                .layers(1)
                .dFF(16)
                .dropout(0)
                .build());
    g.getConfiguration().setIterationCount(40);
    return g;
  }

  /** Rounds of 2 batches per worker, moments averaged every round or at checkpoints. */
  private static ScheduleKeepingTrainingMaster master(
      int workers, boolean stateEveryRound, boolean allReduce) {
    return new ScheduleKeepingTrainingMaster(
        new ParameterAveragingTrainingMaster.Builder(workers, 5)
            .batchSizePerWorker(5)
            .averagingFrequency(2)
            .saveUpdater(true)
            .repartionData(Repartition.Never)
            .rddTrainingApproach(RDDTrainingApproach.Direct)
            .storageLevelStreams(null),
        1,
        0,
        "gpu",
        stateEveryRound,
        allReduce);
  }

  /** {@code n} batch references cycling through the three test batches. */
  private static List<String> split(Path dir, int n) throws Exception {
    List<String> three = ScheduleKeepingTrainingMasterTest.batchFiles(dir);
    List<String> refs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      refs.add(three.get(i % 3));
    }
    return refs;
  }

  private static double fit(
      SparkComputationGraph net, List<String> split, int workers, boolean stateAtEnd) {
    return ParameterAveragingTrainer.fitSplit(
        net, split, workers, 2, ref -> 1, StageResources.off("gpu"), stateAtEnd);
  }

  @Test
  void twoWorkersAverageAsTheDriverDoes(@TempDir Path dir) throws Exception {
    // 3 full rounds of 2 x 2 batches, then a round of 1 batch: worker 1 has none
    List<String> split = split(dir, 13);
    ComputationGraph viaDriver = model();
    ComputationGraph viaAllReduce = viaDriver.clone();
    viaAllReduce.getConfiguration().setIterationCount(40);
    INDArray start = viaDriver.params().dup();

    double driverLoss =
        fit(new SparkComputationGraph(sc, viaDriver, master(2, true, false)), split, 2, true);
    noKeptGraphs();
    ScheduleKeepingTrainingMaster allReduce = master(2, true, true);
    double allReduceLoss =
        fit(new SparkComputationGraph(sc, viaAllReduce, allReduce), split, 2, true);

    assertTrue(!start.equalsWithEps(viaDriver.params(), 1e-6), "the split trained");
    assertTrue(
        viaDriver.params().equalsWithEps(viaAllReduce.params(), 1e-5),
        "parameters differ by " + viaDriver.params().sub(viaAllReduce.params()).norm2Number());
    INDArray driverState = viaDriver.getUpdater().getStateViewArray();
    INDArray allReduceState = viaAllReduce.getUpdater().getStateViewArray();
    assertTrue(
        driverState.equalsWithEps(allReduceState, 1e-5),
        "moments differ by " + driverState.sub(allReduceState).norm2Number());
    assertEquals(40 + 4 * 2, viaAllReduce.getConfiguration().getIterationCount());
    assertEquals(viaDriver.getIterationCount(), viaAllReduce.getIterationCount());
    assertEquals(driverLoss, allReduceLoss, 1e-4);
    assertEquals(null, allReduce.allReduceTimings(), "no statistics unless asked for");
  }

  /**
   * At checkpoints only: with one worker (its own moments are the average) the all-reduce path ends
   * where the driver path averaging everything ends; with two, the driver's moments change only
   * after a split asked to average them.
   */
  @Test
  void momentsMoveToTheDriverOnlyWhenAsked(@TempDir Path dir) throws Exception {
    List<String> split = split(dir, 6);
    ComputationGraph everyRound = model();
    ComputationGraph atCheckpoints = everyRound.clone();
    atCheckpoints.getConfiguration().setIterationCount(40);
    SparkComputationGraph reference =
        new SparkComputationGraph(sc, everyRound, master(1, true, false));
    fit(reference, split, 1, false);
    fit(reference, split, 1, false);
    noKeptGraphs();
    SparkComputationGraph oneWorker =
        new SparkComputationGraph(sc, atCheckpoints, master(1, false, true));
    fit(oneWorker, split, 1, false);
    fit(oneWorker, split, 1, true);
    assertTrue(
        everyRound.params().equalsWithEps(atCheckpoints.params(), 1e-6),
        "one worker: " + everyRound.params().sub(atCheckpoints.params()).norm2Number());
    assertTrue(
        everyRound
            .getUpdater()
            .getStateViewArray()
            .equalsWithEps(atCheckpoints.getUpdater().getStateViewArray(), 1e-6));

    noKeptGraphs();
    ComputationGraph two = model();
    INDArray initialState = two.getUpdater().getStateViewArray().dup();
    ScheduleKeepingTrainingMaster master = master(2, false, true);
    SparkComputationGraph net = new SparkComputationGraph(sc, two, master);
    fit(net, split, 2, false);
    assertTrue(initialState.equalsWithEps(two.getUpdater().getStateViewArray(), 0));
    INDArray[] kept = keptMoments(two);
    assertTrue(!kept[0].equalsWithEps(kept[1], 1e-9), "each worker kept its own moments");
    fit(net, split, 2, true);
    INDArray driver = two.getUpdater().getStateViewArray();
    assertTrue(!initialState.equalsWithEps(driver, 1e-9), "the driver got the moments");
    kept = keptMoments(two);
    assertTrue(kept[0].equalsWithEps(kept[1], 1e-7), "both workers hold the average");
    assertTrue(kept[0].equalsWithEps(driver, 1e-7), "which the driver holds");
    master.releaseStateBroadcast();
  }

  /** The Adam moments of the two worker graphs this JVM keeps between splits. */
  private static INDArray[] keptMoments(ComputationGraph driver) {
    String key = ScheduleKeepingTrainingMaster.IdleGraphs.key(driver.getConfiguration());
    ComputationGraph a = ScheduleKeepingTrainingMaster.IdleGraphs.take(key);
    ComputationGraph b = ScheduleKeepingTrainingMaster.IdleGraphs.take(key);
    INDArray[] moments = {
      a.getUpdater().getStateViewArray().dup(), b.getUpdater().getStateViewArray().dup()
    };
    ScheduleKeepingTrainingMaster.IdleGraphs.giveBack(key, a);
    ScheduleKeepingTrainingMaster.IdleGraphs.giveBack(key, b);
    return moments;
  }
}
