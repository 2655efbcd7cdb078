package org.sparknmt.jobs.doctor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;

/**
 * Runs {@link JvmReport#collect()} on every executor: waits until executors have registered, then
 * runs a few short tasks per executor and keeps one report per executor id (the scheduler decides
 * where tasks go, so it repeats the round until every registered executor has answered).
 */
public final class ExecutorProbe {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorProbe.class);
  private static final int ROUNDS = 4;

  private ExecutorProbe() {}

  /** Executor id → report; in local mode the single entry is the driver's JVM. */
  public static Map<String, Map<String, String>> run(JavaSparkContext jsc, Duration wait) {
    int expected = awaitExecutors(jsc, wait);
    Map<String, Map<String, String>> seen = new TreeMap<>();
    for (int round = 0; round < ROUNDS && seen.size() < expected; round++) {
      int tasks = Math.max(jsc.defaultParallelism(), expected) * 2;
      List<Integer> ids = IntStream.range(0, tasks).boxed().toList();
      List<LinkedHashMap<String, String>> reports =
          jsc.parallelize(ids, tasks).mapPartitions(ExecutorProbe::probe).collect();
      for (LinkedHashMap<String, String> r : reports) {
        seen.putIfAbsent(r.get("executor.id"), r);
      }
    }
    if (seen.size() < expected) {
      LOG.warn("{} executors registered, only {} answered the probe", expected, seen.size());
    }
    return seen;
  }

  private static Iterator<LinkedHashMap<String, String>> probe(Iterator<Integer> ignored)
      throws InterruptedException {
    Thread.sleep(300); // long enough that one executor cannot take every task of the round
    List<LinkedHashMap<String, String>> one = new ArrayList<>();
    one.add(JvmReport.collect());
    return one.iterator();
  }

  /** Waits for at least one executor (not in local mode); returns how many are registered. */
  private static int awaitExecutors(JavaSparkContext jsc, Duration wait) {
    if (jsc.master().startsWith("local")) {
      return 1;
    }
    long deadline = System.nanoTime() + wait.toNanos();
    int n = executors(jsc);
    while (n < 1 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      n = executors(jsc);
    }
    // executors of one application register one after the other: wait until the count settles
    long settle = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(10).toNanos());
    long stableSince = System.nanoTime();
    while (n >= 1 && System.nanoTime() < settle) {
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      int now = executors(jsc);
      if (now != n) {
        n = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > Duration.ofSeconds(2).toNanos()) {
        break;
      }
    }
    if (n < 1) {
      throw new UserError(
          "no executor registered within "
              + wait.toSeconds()
              + " s: check that the cluster has free cores and memory for this application");
    }
    return n;
  }

  private static int executors(JavaSparkContext jsc) {
    // getExecutorInfos() includes the driver
    return jsc.sc().statusTracker().getExecutorInfos().length - 1;
  }
}
