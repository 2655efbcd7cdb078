package org.sparknmt.jobs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ExecutorResourceRequest;
import org.apache.spark.resource.ResourceProfile;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;

/** The device profile built from {@code sparknmt.resources}, and the Spark settings it needs. */
class StageResourcesTest {
  private static Settings settings(String... overrides) {
    List<String> all = new ArrayList<>();
    for (String o : overrides) {
      all.add("sparknmt.resources." + o);
    }
    return Settings.load(new ConfigOptions(List.of(), all));
  }

  private static Settings on(String... more) {
    List<String> all = new ArrayList<>(List.of("stage-level-scheduling=true"));
    all.addAll(List.of(more));
    return settings(all.toArray(String[]::new));
  }

  /** What a standalone application with dynamic allocation and shuffle tracking sets. */
  private static SparkConf dynamicStandalone() {
    return new SparkConf(false)
        .setMaster("spark://master:7077")
        .set("spark.dynamicAllocation.enabled", "true")
        .set("spark.dynamicAllocation.shuffleTracking.enabled", "true")
        .set("spark.executor.cores", "1");
  }

  @Test
  void offByDefault() {
    StageResources r = StageResources.from(Settings.defaults());
    assertFalse(r.stageLevel());
    assertTrue(r.profile().isEmpty());
    assertEquals("gpu", r.resource());
    r.check(new SparkConf(false).setMaster("local[2]")); // nothing needed
  }

  @Test
  void theProfileGivesEachExecutorOneDeviceAndEachTaskTheWholeExecutor() {
    StageResources r =
        StageResources.from(
            on(
                "name=fakegpu",
                "executor-cores=3",
                "executor-memory=2g",
                "executor-memory-overhead=1g",
                "discovery-script=\"./discover-gpus.sh\""));
    ResourceProfile p = r.profile().orElseThrow();
    ExecutorResourceRequest device = p.executorResourcesJMap().get("fakegpu");
    assertEquals(1, device.amount());
    assertEquals("./discover-gpus.sh", device.discoveryScript());
    assertEquals(3, p.executorResourcesJMap().get("cores").amount());
    assertEquals(2048, p.executorResourcesJMap().get("memory").amount());
    assertEquals(1024, p.executorResourcesJMap().get("memoryOverhead").amount());
    assertEquals(1.0, p.taskResourcesJMap().get("fakegpu").amount());
    assertEquals(3.0, p.taskResourcesJMap().get("cpus").amount());
  }

  @Test
  void badValuesNameTheirKey() {
    UserError name = assertThrows(UserError.class, () -> StageResources.from(on("name=\"g p u\"")));
    assertTrue(name.getMessage().contains("sparknmt.resources.name"), name.getMessage());
    UserError memory =
        assertThrows(UserError.class, () -> StageResources.from(on("executor-memory=lots")));
    assertTrue(
        memory.getMessage().contains("sparknmt.resources.executor-memory' = 'lots'"),
        memory.getMessage());
    UserError cores =
        assertThrows(UserError.class, () -> StageResources.from(on("executor-cores=0")));
    assertTrue(
        cores.getMessage().contains("sparknmt.resources.executor-cores"), cores.getMessage());
  }

  @Test
  void standaloneWithDynamicAllocationIsAccepted() {
    StageResources.from(on()).check(dynamicStandalone());
    StageResources.from(on())
        .check(
            new SparkConf(false)
                .setMaster("yarn")
                .set("spark.dynamicAllocation.enabled", "true")
                .set("spark.shuffle.service.enabled", "true"));
  }

  @Test
  void everyMissingSettingIsNamed() {
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                StageResources.from(on()).check(new SparkConf(false).setMaster("spark://m:7077")));
    for (String key :
        List.of(
            "spark.dynamicAllocation.enabled=true",
            "spark.dynamicAllocation.shuffleTracking.enabled=true",
            "spark.executor.cores")) {
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
  }

  @Test
  void localModeIsRefused() {
    SparkConf local = dynamicStandalone().setMaster("local[2]");
    UserError e = assertThrows(UserError.class, () -> StageResources.from(on()).check(local));
    assertTrue(e.getMessage().contains("got 'local[2]'"), e.getMessage());
  }

  @Test
  void theDefaultExecutorsMustNotHoldDevices() {
    SparkConf conf = dynamicStandalone().set("spark.executor.resource.gpu.amount", "1");
    UserError e = assertThrows(UserError.class, () -> StageResources.from(on()).check(conf));
    assertTrue(e.getMessage().contains("no spark.executor.resource.gpu.amount"), e.getMessage());
  }
}
