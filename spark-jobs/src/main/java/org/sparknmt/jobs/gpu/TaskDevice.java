package org.sparknmt.jobs.gpu;

import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * Binds the calling Spark task's thread to the device that Spark's resource scheduling assigned to
 * the task ({@code TaskContext.resources().get(resource)}, one address per task: {@link
 * StageResources}), so that every ND4J array of the task is allocated on that device. Without it
 * every task on a multi-GPU host would use ND4J's default device 0. Tasks without the resource (CPU
 * executors, local mode) are left alone. Call it at the start of a task, before the task creates a
 * model or an iterator.
 *
 * <p>The binder follows ND4J's backend: on the CUDA backend {@link #ND4J} sets the thread's device;
 * on the CPU backend there is no device to set (its {@code unsafeSetDevice} is a no-op in
 * 1.0.0-M2.1), and the assignment is only logged. Either way the executor's log gets one line per
 * task: {@code task <stage>.<partition> attempt <n> on executor <id>: <resource> address <a> ->
 * ...}.
 */
public final class TaskDevice {
  private static final Logger LOG = LoggerFactory.getLogger(TaskDevice.class);

  /** Makes ND4J use a device on the calling thread. */
  @FunctionalInterface
  public interface Binder {
    /**
     * @return what was done, for the log
     */
    String bind(int device);
  }

  /** ND4J's binder: {@code AffinityManager.unsafeSetDevice} for the calling thread. */
  public static final Binder ND4J =
      device -> {
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        return "ND4J device " + device;
      };

  /** The CPU backend's: nothing to bind, the assignment is logged. */
  public static final Binder CPU_BACKEND = device -> "CPU backend, no device to bind";

  private TaskDevice() {}

  /** The binder for the ND4J backend this JVM runs. */
  static Binder forBackend() {
    return Nd4j.getEnvironment().isCPU() ? CPU_BACKEND : ND4J;
  }

  /**
   * Binds the current task's thread to its assigned device named {@code resource} (e.g. gpu).
   *
   * @return the device, or empty when the task has none (or runs outside a Spark task)
   */
  public static OptionalInt bindAssigned(String resource) {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return OptionalInt.empty();
    }
    ResourceInformation info = task.resourcesJMap().get(resource);
    if (info == null || info.addresses().length == 0) {
      return OptionalInt.empty();
    }
    String who =
        String.format(
            "task %d.%d attempt %d on executor %s",
            task.stageId(),
            task.partitionId(),
            task.attemptNumber(),
            org.apache.spark.SparkEnv.get().executorId());
    return bind(who, task.resourcesJMap(), resource, forBackend());
  }

  /**
   * Binds with {@code binder} to the first address of {@code resource} in {@code resources}, if
   * any, and logs it as {@code who}.
   */
  static OptionalInt bind(
      String who, Map<String, ResourceInformation> resources, String resource, Binder binder) {
    ResourceInformation info = resources.get(resource);
    if (info == null || info.addresses().length == 0) {
      return OptionalInt.empty();
    }
    String address = info.addresses()[0];
    int device;
    try {
      device = Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new UserError(
          "the "
              + resource
              + " address '"
              + address
              + "' Spark assigned to this task is not a device index: the discovery script must"
              + " print CUDA device indices, e.g. {\"name\":\""
              + resource
              + "\",\"addresses\":[\"0\",\"1\"]}",
          e);
    }
    if (info.addresses().length > 1) {
      LOG.warn(
          "{} has {} {} addresses {}; ND4J uses one device per thread: binding to {}",
          who,
          info.addresses().length,
          resource,
          String.join(",", info.addresses()),
          device);
    }
    String done = binder.bind(device);
    LOG.info("{}: {} address {} -> {}", who, resource, address, done);
    return OptionalInt.of(device);
  }
}
