package org.sparknmt.cluster;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The YARN configuration of the local cluster's yarn mode: one ResourceManager with the Capacity
 * Scheduler and two queues ({@value #DEFAULT_QUEUE} and {@value #SECOND_QUEUE}, so that {@code
 * spark.yarn.queue} can be exercised), and N NodeManagers, each offering the worker memory and
 * cores to containers.
 *
 * <p>Settings that differ from Hadoop's defaults, and why: the virtual-memory check is off (a JVM
 * with ND4J maps far more virtual memory than it uses; Hadoop distributions turn it off too), the
 * physical-memory check stays on (so {@code spark.executor.memoryOverhead} must really cover ND4J's
 * off-heap memory), the smallest container is 256 MB (default 1 GB: the application master of a
 * client-mode application needs less), the disk-utilisation health check accepts a full disk (else
 * the NodeManager turns UNHEALTHY on a busy developer disk and no container starts) and every
 * address is bound to 127.0.0.1 on a free port.
 */
final class YarnSite {
  static final String DEFAULT_QUEUE = "default";
  static final String SECOND_QUEUE = "training";

  private YarnSite() {}

  /** yarn-site.xml as every client and the ResourceManager see it. */
  static Map<String, String> common(
      Map<String, Integer> ports, int nodeMemoryMb, int nodeVcores, String host) {
    Map<String, String> yarn = new LinkedHashMap<>();
    yarn.put("yarn.resourcemanager.hostname", host);
    yarn.put("yarn.resourcemanager.address", host + ":" + ports.get("resourcemanager.rpc"));
    yarn.put(
        "yarn.resourcemanager.scheduler.address",
        host + ":" + ports.get("resourcemanager.scheduler"));
    yarn.put(
        "yarn.resourcemanager.resource-tracker.address",
        host + ":" + ports.get("resourcemanager.tracker"));
    yarn.put("yarn.resourcemanager.admin.address", host + ":" + ports.get("resourcemanager.admin"));
    yarn.put("yarn.resourcemanager.webapp.address", host + ":" + ports.get("resourcemanager.web"));
    yarn.put("yarn.scheduler.minimum-allocation-mb", "256");
    yarn.put("yarn.scheduler.maximum-allocation-mb", Integer.toString(nodeMemoryMb));
    yarn.put("yarn.scheduler.maximum-allocation-vcores", Integer.toString(nodeVcores));
    yarn.put("yarn.nodemanager.resource.memory-mb", Integer.toString(nodeMemoryMb));
    yarn.put("yarn.nodemanager.resource.cpu-vcores", Integer.toString(nodeVcores));
    yarn.put("yarn.nodemanager.vmem-check-enabled", "false");
    yarn.put("yarn.nodemanager.pmem-check-enabled", "true");
    yarn.put(
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    yarn.put("yarn.log-aggregation-enable", "false");
    yarn.put("yarn.resourcemanager.nm-liveness-monitor.interval-ms", "1000");
    yarn.put("yarn.nodemanager.container-monitor.interval-ms", "1000");
    return yarn;
  }

  /** yarn-site.xml of NodeManager {@code i}: the common settings plus its own ports and dirs. */
  static Map<String, String> nodeManager(
      Map<String, String> common, Map<String, Integer> ports, int i, Path dir, String host) {
    Map<String, String> yarn = new LinkedHashMap<>(common);
    String name = "nodemanager-" + i;
    yarn.put("yarn.nodemanager.hostname", host);
    yarn.put("yarn.nodemanager.address", host + ":" + ports.get(name + ".rpc"));
    yarn.put("yarn.nodemanager.localizer.address", host + ":" + ports.get(name + ".localizer"));
    yarn.put("yarn.nodemanager.webapp.address", host + ":" + ports.get(name + ".web"));
    yarn.put("yarn.nodemanager.local-dirs", dir.resolve("local").toString());
    yarn.put("yarn.nodemanager.log-dirs", dir.resolve("logs").toString());
    yarn.put("yarn.nodemanager.recovery.dir", dir.resolve("recovery").toString());
    return yarn;
  }

  /**
   * capacity-scheduler.xml: two queues sharing the cluster, each allowed to take all of it when the
   * other is idle; application masters may use half of a queue (the default 10 % would hold back
   * the second application on a one-node cluster).
   */
  static Map<String, String> capacityScheduler() {
    Map<String, String> cs = new LinkedHashMap<>();
    cs.put("yarn.scheduler.capacity.root.queues", DEFAULT_QUEUE + "," + SECOND_QUEUE);
    for (String q : new String[] {DEFAULT_QUEUE, SECOND_QUEUE}) {
      String p = "yarn.scheduler.capacity.root." + q + ".";
      cs.put(p + "capacity", "50");
      cs.put(p + "maximum-capacity", "100");
      cs.put(p + "user-limit-factor", "2");
      cs.put(p + "state", "RUNNING");
      cs.put(p + "acl_submit_applications", "*");
      cs.put(p + "acl_administer_queue", "*");
    }
    cs.put("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5");
    cs.put("yarn.scheduler.capacity.node-locality-delay", "-1");
    return cs;
  }
}
