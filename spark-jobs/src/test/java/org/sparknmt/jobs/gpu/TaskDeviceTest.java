package org.sparknmt.jobs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.UserError;

/** The task's assigned device reaches the device binder (a recording one: no GPU here). */
class TaskDeviceTest {
  private final List<Integer> bound = new ArrayList<>();
  private final TaskDevice.Binder recorder =
      device -> {
        bound.add(device);
        return "recorded";
      };

  private static Map<String, ResourceInformation> devices(String name, String... addresses) {
    return Map.of(name, new ResourceInformation(name, addresses));
  }

  @Test
  void aTaskIsBoundToTheDeviceSparkAssignedIt() {
    assertEquals(OptionalInt.of(3), TaskDevice.bind("t", devices("gpu", "3"), "gpu", recorder));
    assertEquals(
        OptionalInt.of(1), TaskDevice.bind("t", devices("gpu", "1", "2"), "gpu", recorder));
    assertEquals(List.of(3, 1), bound);
  }

  @Test
  void theResourceNameIsConfigurable() {
    assertEquals(
        OptionalInt.of(1), TaskDevice.bind("t", devices("fakegpu", "1"), "fakegpu", recorder));
    assertEquals(
        OptionalInt.empty(), TaskDevice.bind("t", devices("fakegpu", "1"), "gpu", recorder));
    assertEquals(List.of(1), bound);
  }

  @Test
  void aTaskWithoutADeviceIsLeftAlone() {
    assertEquals(OptionalInt.empty(), TaskDevice.bind("t", Map.of(), "gpu", recorder));
    assertEquals(OptionalInt.empty(), TaskDevice.bind("t", devices("gpu"), "gpu", recorder));
    assertEquals(OptionalInt.empty(), TaskDevice.bind("t", devices("fpga", "0"), "gpu", recorder));
    assertTrue(bound.isEmpty());
  }

  @Test
  void anAddressThatIsNotADeviceIndexIsAClearError() {
    UserError e =
        assertThrows(
            UserError.class,
            () -> TaskDevice.bind("t", devices("gpu", "GPU-0f3a"), "gpu", recorder));
    assertTrue(e.getMessage().contains("'GPU-0f3a'"), e.getMessage());
    assertTrue(bound.isEmpty());
  }

  @Test
  void outsideASparkTaskNothingIsBound() {
    assertEquals(OptionalInt.empty(), TaskDevice.bindAssigned("gpu"));
  }

  @Test
  void onTheCpuBackendNothingIsBound() {
    // the tests run ND4J's CPU backend: its binder must not touch ND4J's device affinity
    assertSame(TaskDevice.CPU_BACKEND, TaskDevice.forBackend());
  }
}
