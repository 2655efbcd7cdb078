package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;

/**
 * Guards the workaround in {@link ScheduleKeepingTrainingMaster}: dl4j-spark's own worker restarts
 * at iteration 0 (if this first assertion ever fails, dl4j-spark fixed the bug and the workaround
 * can go), ours continues the driver's count.
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
                .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator"));
  }

  @AfterAll
  static void stop() {
    sc.close();
  }

  private static ComputationGraph model() {
    ComputationGraph g =
        TransformerFactory.build(
            ModelConfig.preset("tiny", 12).toBuilder()
                .dModel(8)
                .heads(2)
                .layers(1)
                .dFF(16)
                .build());
    g.getConfiguration().setIterationCount(123);
    g.getConfiguration().setEpochCount(4);
    return g;
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
    ScheduleKeepingTrainingMaster tm = new ScheduleKeepingTrainingMaster(builder());
    ComputationGraph worker =
        tm.getWorkerInstance(new SparkComputationGraph(sc, model(), tm)).getInitialModelGraph();
    assertEquals(123, worker.getConfiguration().getIterationCount());
    assertEquals(4, worker.getConfiguration().getEpochCount());
  }
}
