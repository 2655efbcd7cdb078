package org.sparknmt.jobs.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ExecutorResourceRequests;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;

/**
 * Which executors train and decode ({@code sparknmt.resources}): the device resource's name, and,
 * with {@code stage-level-scheduling = true}, Spark's stage-level scheduling: the stages that train
 * or decode ({@link #onDevices}) get a {@link ResourceProfile} whose executors hold one device
 * ({@code executor-cores}, {@code executor-memory}, {@code executor-memory-overhead}, the resource
 * {@code name} × 1) and whose tasks take the device and all the executor's cores (one task per
 * device); every other stage (the corpus steps, checksums, writing) runs on the application's
 * default executors, which hold no device. Spark then asks the cluster manager for executors of
 * each profile as its stages need them (dynamic allocation) and releases idle ones.
 *
 * <p>A job builds one per application and passes it to the training and decoding code: every {@code
 * ResourceProfile} instance is a profile of its own to Spark, with executors of its own.
 */
public final class StageResources {
  static final String KEY = "sparknmt.resources";

  private final String resource;
  private final ResourceProfileBuilder requests; // null: stage-level scheduling off
  private ResourceProfile profile; // built on first use: every build takes a new profile id

  private StageResources(String resource, ResourceProfileBuilder requests) {
    this.resource = resource;
    this.requests = requests;
  }

  /** Without stage-level scheduling; tasks look up devices named {@code resource}. */
  public static StageResources off(String resource) {
    return new StageResources(resource, null);
  }

  /**
   * The {@code sparknmt.resources} settings, checked.
   *
   * @throws UserError naming the key, the value and what is allowed
   */
  public static StageResources from(Settings s) {
    String name = s.string(KEY + ".name");
    if (!name.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
      throw new UserError(
          "configuration key '"
              + KEY
              + ".name' = '"
              + name
              + "': allowed a Spark resource name such as gpu (letters, digits, _ . -)");
    }
    if (!s.bool(KEY + ".stage-level-scheduling")) {
      return off(name);
    }
    int cores = s.integer(KEY + ".executor-cores", 1, 1024);
    String memory = memory(s, KEY + ".executor-memory");
    String overhead = memory(s, KEY + ".executor-memory-overhead");
    ExecutorResourceRequests executors =
        new ExecutorResourceRequests().cores(cores).memory(memory).memoryOverhead(overhead);
    executors.resource(
        name, 1, s.string(KEY + ".discovery-script"), s.string(KEY + ".vendor")); // one device
    TaskResourceRequests tasks = new TaskResourceRequests().cpus(cores).resource(name, 1.0);
    return new StageResources(name, new ResourceProfileBuilder().require(executors).require(tasks));
  }

  private static String memory(Settings s, String key) {
    String v = s.string(key);
    if (!v.matches("\\d+[kKmMgGtT]")) {
      throw new UserError(
          "configuration key '" + key + "' = '" + v + "': allowed a size such as 512m or 8g");
    }
    return v;
  }

  /** The Spark resource name of a device (what {@link TaskDevice} looks up in a task). */
  public String resource() {
    return resource;
  }

  public boolean stageLevel() {
    return requests != null;
  }

  /** The profile of the training and decoding stages, when stage-level scheduling is on. */
  public synchronized Optional<ResourceProfile> profile() {
    if (requests != null && profile == null) {
      profile = requests.build();
    }
    return Optional.ofNullable(profile);
  }

  /**
   * {@code rdd} with the device profile: the stage that computes it (and every RDD of that stage)
   * runs on executors holding a device. Unchanged when stage-level scheduling is off.
   */
  public <T> JavaRDD<T> onDevices(JavaRDD<T> rdd) {
    return profile().map(rdd::withResources).orElse(rdd);
  }

  /**
   * The Spark settings stage-level scheduling needs, checked against the application's {@code conf}
   * before Spark starts (Spark 3.5 would fail later, at the first training stage, or not at all): a
   * standalone, YARN or Kubernetes master, dynamic allocation with shuffle tracking or a shuffle
   * service, on standalone {@code spark.executor.cores} (else a default executor takes every core
   * of a worker, devices included), and no device for the default executors or their tasks ({@code
   * spark.executor/task.resource.<name>.amount}: the corpus steps would hold the devices).
   *
   * @throws UserError naming every setting that is missing or wrong
   */
  public void check(SparkConf conf) {
    if (requests == null) {
      return;
    }
    String master = conf.get("spark.master", "");
    List<String> problems = new ArrayList<>();
    boolean standalone = master.startsWith("spark://") || master.startsWith("local-cluster");
    if (!(standalone || master.equals("yarn") || master.startsWith("k8s://"))) {
      problems.add(
          "a standalone (spark://), YARN or Kubernetes master (got '"
              + master
              + "'; local mode has no executors to choose from)");
    }
    if (!conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      problems.add("spark.dynamicAllocation.enabled=true");
    }
    if (!conf.getBoolean("spark.dynamicAllocation.shuffleTracking.enabled", false)
        && !conf.getBoolean("spark.shuffle.service.enabled", false)) {
      problems.add(
          "spark.dynamicAllocation.shuffleTracking.enabled=true (or an external shuffle service,"
              + " spark.shuffle.service.enabled=true)");
    }
    if (standalone && !conf.contains("spark.executor.cores")) {
      problems.add("spark.executor.cores (the default executors' cores)");
    }
    for (String key :
        List.of(
            "spark.executor.resource." + resource + ".amount",
            "spark.task.resource." + resource + ".amount")) {
      if (conf.contains(key)) {
        problems.add("no " + key + " (= " + conf.get(key) + ": the default executors need none)");
      }
    }
    if (!problems.isEmpty()) {
      throw new UserError(
          KEY
              + ".stage-level-scheduling = true (training and decoding on executors with a '"
              + resource
              + "') needs "
              + String.join("; ", problems));
    }
  }
}
