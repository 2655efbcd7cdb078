package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.datavec.spark.util.BroadcastHadoopConfigHolder;
import org.deeplearning4j.core.loader.impl.SerializedMultiDataSetLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.ExecuteWorkerPathMDSFlatMap;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;
import org.sparknmt.model.UpdateStep;
import org.sparknmt.prep.shard.BatchBuilder;
import org.sparknmt.prep.shard.BatchRef;
import org.sparknmt.prep.shard.EncodedPair;
import org.sparknmt.prep.spark.PackedBatchReader;

/**
 * Guards the workarounds in {@link ScheduleKeepingTrainingMaster}: dl4j-spark's own worker restarts
 * at iteration 0 (if this first assertion ever fails, dl4j-spark fixed the bug and the workaround
 * can go), ours continues the driver's count; dl4j-spark's worker re-batches batch files of varying
 * size into {@code batchSizePerWorker} examples, ours fits each file whole.
 */
class ScheduleKeepingTrainingMasterTest {
  private static JavaSparkContext sc;

  @BeforeAll
  static void start() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[1]")
                .setAppName("schedule-keeping")
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

  private static ComputationGraph model() {
    ComputationGraph g = model(ModelConfig.preset("tiny", 12).dropout());
    g.getConfiguration().setIterationCount(123);
    g.getConfiguration().setEpochCount(4);
    return g;
  }

  private static ComputationGraph model(double dropout) {
    return TransformerFactory.build(
        ModelConfig.preset("tiny", 12).toBuilder()
            .dModel(8)
            .heads(2)
            .layers(1)
            .dFF(16)
            .dropout(dropout)
            .build());
  }

  private static ParameterAveragingTrainingMaster.Builder builder() {
    return new ParameterAveragingTrainingMaster.Builder(1, 4)
        .batchSizePerWorker(4)
        .saveUpdater(true);
  }

  @Test
  void dl4jSparksOwnWorkerRestartsTheIterationCount() {
    ComputationGraph worker =
        builder()
            .build()
            .getWorkerInstance(new SparkComputationGraph(sc, model(), builder().build()))
            .getInitialModelGraph();
    assertEquals(0, worker.getConfiguration().getIterationCount());
  }

  @Test
  void ourWorkerContinuesTheDriversCounts() {
    ScheduleKeepingTrainingMaster tm = new ScheduleKeepingTrainingMaster(builder(), "gpu");
    ComputationGraph worker =
        tm.getWorkerInstance(new SparkComputationGraph(sc, model(), tm)).getInitialModelGraph();
    assertEquals(123, worker.getConfiguration().getIterationCount());
    assertEquals(4, worker.getConfiguration().getEpochCount());
  }

  /** A worker that records the pair count of every minibatch it is given, and trains nothing. */
  private static ParameterAveragingTrainingWorker recorder(List<Long> sizes) {
    ComputationGraph g = model();
    Broadcast<NetBroadcastTuple> tuple =
        sc.broadcast(
            new NetBroadcastTuple(
                g.getConfiguration(), g.params(), g.getUpdater().getStateViewArray()));
    // batchSizePerWorker 5 (the largest batch), averaging frequency 3, prefetch 2
    WorkerConfiguration conf = new WorkerConfiguration(true, 5, 5, 3, 2, false);
    return new ParameterAveragingTrainingWorker(tuple, true, conf, null, null, null) {
      private static final long serialVersionUID = 1L;

      @Override
      public ParameterAveragingTrainingResult processMinibatch(
          MultiDataSet batch, ComputationGraph graph, boolean isLast) {
        sizes.add(batch.getFeatures(0).size(0));
        return null;
      }
    };
  }

  /**
   * Three batches of 3, 5 and 2 pairs (token-budget batches differ in pair count), packed into one
   * part file: their references.
   */
  static List<String> batchFiles(Path dir) throws Exception {
    List<String> refs = new ArrayList<>();
    File part = dir.resolve("part-00000.bin").toFile();
    int line = 0;
    try (java.io.FileOutputStream out = new java.io.FileOutputStream(part)) {
      for (int size : new int[] {3, 5, 2}) {
        List<EncodedPair> pairs = new ArrayList<>();
        for (int k = 0; k < size; k++) {
          pairs.add(new EncodedPair(++line, new int[] {4 + k, 5}, new int[] {6, 7 + k % 4}));
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        BatchBuilder.build(pairs).save(bytes);
        refs.add(new BatchRef(part.toURI().toString(), part.length(), bytes.size()).toString());
        bytes.writeTo(out);
        out.flush();
      }
    }
    return refs;
  }

  /** The same three batches, one file each (what dl4j-spark's own worker reads). */
  private static List<String> oneFileEach(Path dir) throws Exception {
    List<String> paths = new ArrayList<>();
    try (PackedBatchReader reader = new PackedBatchReader(sc.hadoopConfiguration())) {
      for (String ref : batchFiles(dir)) {
        File f = dir.resolve("batch-" + paths.size() + ".bin").toFile();
        reader.load(ref).save(f);
        paths.add(f.toURI().toString());
      }
    }
    return paths;
  }

  @Test
  void dl4jSparksOwnWorkerRebatchesVariableBatches(@TempDir Path dir) throws Exception {
    List<Long> sizes = new ArrayList<>();
    new ExecuteWorkerPathMDSFlatMap<>(
            recorder(sizes),
            new SerializedMultiDataSetLoader(),
            BroadcastHadoopConfigHolder.get(sc))
        .call(oneFileEach(dir).iterator());
    // 3 + 2 of the 5, then the other 3 + 2: merged and split across batches
    assertEquals(List.of(5L, 5L), sizes);
  }

  @Test
  void ourWorkerFitsEveryBatchWhole(@TempDir Path dir) throws Exception {
    List<Long> sizes = new ArrayList<>();
    new WholeBatchPathFlatMap<>(recorder(sizes), BroadcastHadoopConfigHolder.get(sc), 1, 0, "gpu")
        .call(batchFiles(dir).iterator());
    assertEquals(List.of(3L, 5L, 2L), sizes);
  }

  @Test
  void withAccumulationAWorkerMakesOneUpdateOfAllItsBatches(@TempDir Path dir) throws Exception {
    ComputationGraph g = model(0); // no dropout: both sides must see the same forward passes
    List<String> files = batchFiles(dir);
    Broadcast<NetBroadcastTuple> tuple =
        sc.broadcast(
            new NetBroadcastTuple(
                g.getConfiguration(), g.params(), g.getUpdater().getStateViewArray()));
    // 3 files per round (averaging frequency 1 x update frequency 3): one update
    WorkerConfiguration conf = new WorkerConfiguration(true, 5, 5, 3, 0, false);
    ParameterAveragingTrainingWorker worker =
        new ParameterAveragingTrainingWorker(tuple, true, conf, null, null, null);
    INDArray got =
        new WholeBatchPathFlatMap<>(worker, BroadcastHadoopConfigHolder.get(sc), 3, 0, "gpu")
            .call(files.iterator())
            .next()
            .getParameters();
    ComputationGraph expected = g.clone();
    UpdateStep step = new UpdateStep(expected, 3, 0);
    try (PackedBatchReader reader = new PackedBatchReader(sc.hadoopConfiguration())) {
      for (String f : files) {
        step.fit(reader.load(f));
      }
    }
    assertEquals(1, expected.getIterationCount() - g.getIterationCount());
    assertTrue(got.equalsWithEps(expected.params(), 1e-6), "one update over the three batches");
    assertTrue(!got.equalsWithEps(g.params(), 1e-6), "parameters were updated");
  }

  @Test
  void withAccumulationTheDriverCountsUpdatesNotFiles(@TempDir Path dir) throws Exception {
    // 2 batch files per worker and round (dl4j-spark's averaging frequency), 2 per update
    ScheduleKeepingTrainingMaster tm =
        new ScheduleKeepingTrainingMaster(
            new ParameterAveragingTrainingMaster.Builder(1, 5)
                .batchSizePerWorker(5)
                .averagingFrequency(2)
                .saveUpdater(true)
                .repartionData(Repartition.Never)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .storageLevelStreams(null),
            2,
            0,
            "gpu",
            true,
            false);
    ComputationGraph g = model(0);
    int before = g.getIterationCount();
    SparkComputationGraph net = new SparkComputationGraph(sc, g, tm);
    net.fitPathsMultiDataSet(sc.parallelize(batchFiles(dir).subList(0, 2), 1));
    assertEquals(before + 1, net.getNetwork().getIterationCount(), "one update, not two");
  }

  /** One worker, rounds of 3 batches of up to 5 pairs, as TrainJob configures the master. */
  private static ScheduleKeepingTrainingMaster roundMaster() {
    return roundMaster(true);
  }

  private static ScheduleKeepingTrainingMaster roundMaster(boolean optimizerStateEveryRound) {
    return new ScheduleKeepingTrainingMaster(
        new ParameterAveragingTrainingMaster.Builder(1, 5)
            .batchSizePerWorker(5)
            .averagingFrequency(3)
            .saveUpdater(true)
            .repartionData(Repartition.Never)
            .rddTrainingApproach(RDDTrainingApproach.Direct)
            .storageLevelStreams(null),
        1,
        0,
        "gpu",
        optimizerStateEveryRound,
        false);
  }

  /**
   * With the optimizer state averaged at checkpoints only, a round moves the parameters alone and
   * the worker continues from its own Adam moments: with one worker (its moments are the average)
   * four rounds end exactly where four rounds averaging everything end; the driver's moments change
   * only in the round asked to average them, and a worker with no graph of its own starts from the
   * newest moments the driver sent.
   */
  @Test
  void withTheStateAveragedAtCheckpointsOnlyTheParametersMoveBetweenThem(@TempDir Path dir)
      throws Exception {
    List<String> batches = batchFiles(dir);
    ComputationGraph everyRound = model(0.0);
    ComputationGraph atCheckpoints = everyRound.clone();
    INDArray initialState = atCheckpoints.getUpdater().getStateViewArray().dup();
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());

    SparkComputationGraph reference = new SparkComputationGraph(sc, everyRound, roundMaster());
    for (int round = 0; round < 4; round++) {
      reference.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    }
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());

    ScheduleKeepingTrainingMaster tm = roundMaster(false);
    SparkComputationGraph net = new SparkComputationGraph(sc, atCheckpoints, tm);
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    assertTrue(
        initialState.equalsWithEps(atCheckpoints.getUpdater().getStateViewArray(), 0),
        "rounds 1-2 do not average the moments");
    ComputationGraph worker = ScheduleKeepingTrainingMaster.IdleGraphs.take(idleKey(atCheckpoints));
    assertTrue(
        !initialState.equalsWithEps(worker.getUpdater().getStateViewArray(), 1e-9),
        "the worker's own moments moved");
    ScheduleKeepingTrainingMaster.IdleGraphs.giveBack(idleKey(atCheckpoints), worker);

    tm.averageOptimizerStateNextRound();
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    INDArray averaged = atCheckpoints.getUpdater().getStateViewArray().dup();
    assertTrue(!initialState.equalsWithEps(averaged, 1e-9), "round 3 averaged the moments");
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    assertTrue(
        everyRound.params().equalsWithEps(atCheckpoints.params(), 1e-6),
        "4 rounds: " + everyRound.params().sub(atCheckpoints.params()).norm2Number());
    assertTrue(averaged.equalsWithEps(atCheckpoints.getUpdater().getStateViewArray(), 0));

    // no graph of its own (closed while idle): a worker starts from the moments sent in round 4,
    // which are the ones averaged in round 3
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());
    ComputationGraph fromRound3 = atCheckpoints.clone();
    // clone() restarts the iteration count (the dl4j bug above), which Adam's bias correction reads
    fromRound3.getConfiguration().setIterationCount(atCheckpoints.getIterationCount());
    new SparkComputationGraph(sc, fromRound3, roundMaster())
        .fitPathsMultiDataSet(sc.parallelize(batches, 1));
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    assertTrue(
        fromRound3.params().equalsWithEps(atCheckpoints.params(), 1e-6),
        "round 5: " + fromRound3.params().sub(atCheckpoints.params()).norm2Number());

    tm.releaseStateBroadcast();
  }

  @Test
  void trainingThroughTheMasterUsesWholeBatches(@TempDir Path dir) throws Exception {
    ScheduleKeepingTrainingMaster tm = roundMaster();
    ComputationGraph g = model();
    org.nd4j.linalg.api.ndarray.INDArray before = g.params().dup();
    SparkComputationGraph net = new SparkComputationGraph(sc, g, tm);
    net.fitPathsMultiDataSet(sc.parallelize(batchFiles(dir), 1));
    assertTrue(Double.isFinite(net.getScore()), "score " + net.getScore());
    assertTrue(!before.equalsWithEps(net.getNetwork().params(), 1e-7), "parameters were updated");
  }

  /**
   * A worker keeps its graph between rounds ({@code IdleGraphs}) but starts every round from the
   * driver's parameters, updater state and counts: a second round from the first round's starting
   * point ends exactly where the first ended (no dropout, so training is deterministic).
   */
  @Test
  void aKeptWorkerGraphStartsEachRoundFromTheDriversState(@TempDir Path dir) throws Exception {
    ScheduleKeepingTrainingMaster tm = roundMaster();
    ComputationGraph g = model(0.0);
    g.getConfiguration().setIterationCount(50);
    org.nd4j.linalg.api.ndarray.INDArray params = g.params().dup();
    org.nd4j.linalg.api.ndarray.INDArray updater = g.getUpdater().getStateViewArray().dup();
    SparkComputationGraph net = new SparkComputationGraph(sc, g, tm);
    List<String> batches = batchFiles(dir);

    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    org.nd4j.linalg.api.ndarray.INDArray afterFirst = g.params().dup();
    assertEquals(1, ScheduleKeepingTrainingMaster.IdleGraphs.size());
    org.apache.spark.SparkException destroyed =
        org.junit.jupiter.api.Assertions.assertThrows(
            org.apache.spark.SparkException.class,
            () -> tm.roundBroadcast().value(),
            "the round's broadcast is destroyed once averaged");
    assertTrue(destroyed.getMessage().contains("destroyed"), destroyed.getMessage());

    g.setParams(params);
    g.getUpdater().getStateViewArray().assign(updater);
    g.getConfiguration().setIterationCount(50);
    net.fitPathsMultiDataSet(sc.parallelize(batches, 1));
    assertEquals(1, ScheduleKeepingTrainingMaster.IdleGraphs.size(), "the graph was reused");
    assertTrue(!params.equalsWithEps(afterFirst, 1e-7), "the first round trained");
    assertTrue(
        afterFirst.equalsWithEps(g.params(), 1e-6),
        "second round: " + g.params().sub(afterFirst).norm2Number());

    // a graph idle for longer than a gap between rounds is closed: its arrays are freed
    ComputationGraph kept = ScheduleKeepingTrainingMaster.IdleGraphs.take(idleKey(g));
    assertTrue(kept != null, "the kept graph is there to take");
    ScheduleKeepingTrainingMaster.IdleGraphs.giveBack(idleKey(g), kept);
    long now = System.nanoTime();
    assertEquals(
        0, ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(Long.MAX_VALUE, now));
    assertTrue(!kept.params().wasClosed(), "a graph idle for less is kept");
    long later = now + ScheduleKeepingTrainingMaster.IdleGraphs.MAX_IDLE_NANOS + 1;
    assertEquals(
        1,
        ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(
            ScheduleKeepingTrainingMaster.IdleGraphs.MAX_IDLE_NANOS, later));
    assertEquals(0, ScheduleKeepingTrainingMaster.IdleGraphs.size());
    assertTrue(kept.params().wasClosed(), "its parameters were freed");
    assertTrue(!g.params().wasClosed(), "the driver's graph is its own");
  }

  /**
   * A task that fails after taking its graph (a killed peer, a bad batch) does not give the graph
   * back: it may hold a partly trained round; a task that succeeds does.
   */
  @Test
  void aFailedTasksGraphIsClosedNotKept() {
    ScheduleKeepingTrainingMaster.IdleGraphs.closeIdleLongerThan(-1, System.nanoTime());
    ScheduleKeepingTrainingMaster tm = roundMaster();
    ParameterAveragingTrainingWorker worker =
        tm.getWorkerInstance(new SparkComputationGraph(sc, model(0), tm));
    Exception failed =
        org.junit.jupiter.api.Assertions.assertThrows(
            Exception.class,
            () ->
                sc.parallelize(List.of(1), 1)
                    .foreach(
                        x -> {
                          worker.getInitialModelGraph();
                          throw new IllegalStateException("the task fails after taking its graph");
                        }));
    assertTrue(failed.getMessage().contains("the task fails"), failed.getMessage());
    assertEquals(0, ScheduleKeepingTrainingMaster.IdleGraphs.size(), "not kept");
    sc.parallelize(List.of(1), 1).foreach(x -> worker.getInitialModelGraph());
    assertEquals(1, ScheduleKeepingTrainingMaster.IdleGraphs.size(), "kept");
  }

  private static String idleKey(ComputationGraph g) {
    return ScheduleKeepingTrainingMaster.IdleGraphs.key(g.getConfiguration());
  }
}
