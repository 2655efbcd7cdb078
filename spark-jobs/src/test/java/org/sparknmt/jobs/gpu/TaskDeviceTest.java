package org.sparknmt.jobs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.UserError;

/** The task's assigned GPU reaches the device binder (a recording one: no GPU here). */
class TaskDeviceTest {
  private final List<Integer> bound = new ArrayList<>();
  private final TaskDevice.Binder recorder = bound::add;

  private static Map<String, ResourceInformation> gpus(String... addresses) {
    return Map.of("gpu", new ResourceInformation("gpu", addresses));
  }

  @Test
  void aTaskIsBoundToTheGpuSparkAssignedIt() {
    assertEquals(OptionalInt.of(3), TaskDevice.bind(gpus("3"), recorder));
    assertEquals(OptionalInt.of(1), TaskDevice.bind(gpus("1", "2"), recorder));
    assertEquals(List.of(3, 1), bound);
  }

  @Test
  void aTaskWithoutAGpuIsLeftAlone() {
    assertEquals(OptionalInt.empty(), TaskDevice.bind(Map.of(), recorder));
    assertEquals(OptionalInt.empty(), TaskDevice.bind(gpus(), recorder));
    assertEquals(
        OptionalInt.empty(),
        TaskDevice.bind(
            Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"})), recorder));
    assertTrue(bound.isEmpty());
  }

  @Test
  void anAddressThatIsNotADeviceIndexIsAClearError() {
    UserError e = assertThrows(UserError.class, () -> TaskDevice.bind(gpus("GPU-0f3a"), recorder));
    assertTrue(e.getMessage().contains("'GPU-0f3a'"), e.getMessage());
    assertTrue(bound.isEmpty());
  }

  @Test
  void outsideASparkTaskNothingIsBound() {
    assertEquals(OptionalInt.empty(), TaskDevice.bindAssignedGpu());
  }
}
