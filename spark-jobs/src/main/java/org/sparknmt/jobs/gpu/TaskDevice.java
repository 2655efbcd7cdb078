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
 * Binds the calling Spark task's thread to the GPU that Spark's resource scheduling assigned to the
 * task ({@code TaskContext.resources().get("gpu")}, with {@code spark.task.resource.gpu.amount =
 * 1}), so that every ND4J array of the task is allocated on that device. Without it every task on a
 * multi-GPU host would use ND4J's default device 0. Tasks without a GPU (CPU executors, local mode)
 * are left alone. Call it at the start of a task, before the task creates a model or an iterator.
 */
public final class TaskDevice {
  private static final Logger LOG = LoggerFactory.getLogger(TaskDevice.class);
  static final String GPU = "gpu";

  /** Makes ND4J use a device on the calling thread. */
  @FunctionalInterface
  public interface Binder {
    void bind(int device);
  }

  /** ND4J's binder: {@code AffinityManager.unsafeSetDevice} for the calling thread. */
  public static final Binder ND4J = device -> Nd4j.getAffinityManager().unsafeSetDevice(device);

  private TaskDevice() {}

  /**
   * Binds the current task's thread to its assigned GPU with ND4J.
   *
   * @return the device, or empty when the task has no GPU (or runs outside a Spark task)
   */
  public static OptionalInt bindAssignedGpu() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return OptionalInt.empty();
    }
    return bind(task.resourcesJMap(), ND4J);
  }

  /** Binds with {@code binder} to the first GPU address in {@code resources}, if any. */
  static OptionalInt bind(Map<String, ResourceInformation> resources, Binder binder) {
    ResourceInformation gpu = resources.get(GPU);
    if (gpu == null || gpu.addresses().length == 0) {
      return OptionalInt.empty();
    }
    String address = gpu.addresses()[0];
    int device;
    try {
      device = Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new UserError(
          "the GPU address '"
              + address
              + "' Spark assigned to this task is not a device index: the discovery script must"
              + " print CUDA device indices, e.g. {\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}",
          e);
    }
    if (gpu.addresses().length > 1) {
      LOG.warn(
          "task has {} GPUs {}; ND4J uses one device per thread: binding to {}",
          gpu.addresses().length,
          String.join(",", gpu.addresses()),
          device);
    }
    binder.bind(device);
    return OptionalInt.of(device);
  }
}
