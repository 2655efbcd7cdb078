package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.model.ModelConfig;

/** The run configuration: read once, presets from one place, derived values validated again. */
class RunConfigurationTest {
  private static RunConfiguration with(String... overrides) {
    return RunConfiguration.of(Settings.load(new ConfigOptions(List.of(), List.of(overrides))));
  }

  @Test
  void unsetModelKeysKeepThePresetsValuesAndSetOnesWin() {
    RunConfiguration c =
        with("sparknmt.train.preset=tiny", "sparknmt.train.model.heads=4", "sparknmt.train.seed=7");
    ModelConfig preset = ModelConfig.preset("tiny", 123);
    ModelConfig model = c.model().forVocabulary(123);
    assertEquals(preset.dModel(), model.dModel());
    assertEquals(preset.dropout(), model.dropout());
    assertEquals(4, model.heads());
    assertEquals(123, model.vocabSize());
    assertEquals(7, model.seed());
  }

  @Test
  void aModelThatCannotBeBuiltIsReportedAtStartNotAfterTheVocabStep() {
    UserError e =
        assertThrows(
            UserError.class,
            () -> with("sparknmt.train.model.d-model=100", "sparknmt.train.model.heads=3"));
    assertTrue(e.getMessage().startsWith("model configuration: "), e.getMessage());
  }

  @Test
  void aDerivedDataOutputMakesANewValidatedConfiguration() {
    RunConfiguration c = with();
    RunConfiguration derived = c.withDataOutput("hdfs://nn:8020/work/data");
    assertEquals("", c.data().output(), "the original is unchanged");
    assertEquals("hdfs://nn:8020/work/data", derived.data().output());
    assertEquals(
        "hdfs://nn:8020/work/data", derived.settings().string("sparknmt.data.output"), "one value");
  }

  @Test
  void aWarmStartThatRebuildsTheVocabularyIsRefused() {
    UserError e =
        assertThrows(
            UserError.class,
            () -> with("sparknmt.retrain.init=champion", "sparknmt.retrain.vocabulary=rebuild"));
    assertTrue(e.getMessage().contains("sparknmt.retrain.init = champion"), e.getMessage());
  }

  @Test
  void theAggregationDepthReachesTheTrainingMasterAndIsBounded() {
    assertEquals(2, with().train().aggregationDepth(), "reference.conf's default");
    assertEquals(3, with("sparknmt.train.aggregation-depth=3").train().aggregationDepth());
    UserError e = assertThrows(UserError.class, () -> with("sparknmt.train.aggregation-depth=0"));
    assertTrue(e.getMessage().contains("sparknmt.train.aggregation-depth"), e.getMessage());
  }

  @Test
  void allReduceAveragingIsOffByDefaultAndRefusedWithStageLevelScheduling() {
    assertTrue(!with().train().allReduce(), "reference.conf's default: the driver averages");
    assertTrue(with("sparknmt.train.averaging=allreduce").train().allReduce());
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                with(
                    "sparknmt.train.averaging=allreduce",
                    "sparknmt.resources.stage-level-scheduling=true",
                    "sparknmt.spark.master=\"spark://master:7077\"",
                    "sparknmt.spark.conf.\"spark.dynamicAllocation.enabled\"=true",
                    "sparknmt.spark.conf.\"spark.dynamicAllocation.shuffleTracking.enabled\"=true",
                    "sparknmt.spark.conf.\"spark.executor.cores\"=1"));
    assertTrue(
        e.getMessage().contains("sparknmt.train.averaging = allreduce")
            && e.getMessage().contains("stage-level-scheduling"),
        e.getMessage());
  }
}
