package org.sparknmt.jobs.gpu;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * The driver's record of where stage-level scheduling put the work ({@link StageResources}): one
 * log line per executor when it is added (its resource profile and resources) and one per completed
 * stage (its job group, resource profile, and the executors its tasks ran on), e.g.
 *
 * <pre>
 * executor 3 added: resource profile 1, resources gpu=[1]
 * executor 0 removed: Executor killed by driver.
 * stage 66 [sparknmt-train] 'treeAggregate at ParameterAveragingTrainingMaster.java:662': resource profile 1, 2 tasks on executors [2, 3]
 * </pre>
 *
 * Registered through {@code spark.extraListeners} (so it sees the first executors too) when
 * stage-level scheduling is on.
 */
public final class StageResourceLog extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(StageResourceLog.class);

  private final Map<Integer, String> groupOfStage = new ConcurrentHashMap<>();
  private final Map<Integer, Map<String, Integer>> tasksByExecutor = new ConcurrentHashMap<>();

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded added) {
    Map<String, String> resources = new TreeMap<>();
    JavaConverters.mapAsJavaMap(added.executorInfo().resourcesInfo())
        .forEach((name, info) -> resources.put(name, String.join(",", info.addresses())));
    StringBuilder text = new StringBuilder();
    resources.forEach(
        (name, addresses) -> text.append(name).append("=[").append(addresses).append("] "));
    LOG.info(
        "executor {} added: resource profile {}, resources {}",
        added.executorId(),
        added.executorInfo().resourceProfileId(),
        text.length() == 0 ? "none" : text.toString().trim());
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    LOG.info("executor {} removed: {}", removed.executorId(), removed.reason());
  }

  @Override
  public void onJobStart(SparkListenerJobStart start) {
    String group =
        start.properties() == null ? null : start.properties().getProperty("spark.jobGroup.id");
    for (Object id : JavaConverters.seqAsJavaList(start.stageIds())) {
      groupOfStage.put((Integer) id, group == null ? "-" : group);
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    tasksByExecutor
        .computeIfAbsent(end.stageId(), k -> new ConcurrentHashMap<>())
        .merge(end.taskInfo().executorId(), 1, Integer::sum);
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted completed) {
    StageInfo stage = completed.stageInfo();
    Map<String, Integer> byExecutor = tasksByExecutor.remove(stage.stageId());
    int tasks = byExecutor == null ? 0 : byExecutor.values().stream().mapToInt(i -> i).sum();
    LOG.info(
        "stage {} [{}] '{}': resource profile {}, {} tasks on executors {}",
        stage.stageId(),
        groupOfStage.getOrDefault(stage.stageId(), "-"), // kept for a retried attempt
        stage.name(),
        stage.resourceProfileId(),
        tasks,
        byExecutor == null ? "[]" : new TreeSet<>(byExecutor.keySet()));
  }
}
