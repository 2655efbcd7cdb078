package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.cluster.LocalCluster;

/**
 * The README's "Plain spark-submit" commands run as written with a Spark home's own {@code
 * bin/spark-submit} (not {@code deploy/spark-submit.sh}) on a real standalone cluster + HDFS; only
 * the host names and {@code /opt/spark} are replaced by the local cluster's and the assembled Spark
 * home's. Each JVM of the job must have the build's Java options ({@code jvm.options.missing =
 * none} in DoctorJob's report), although the commands give them to the driver only.
 */
class PlainSparkSubmitIT {
  private static final Path REPO =
      Path.of(System.getProperty("sparknmt.repo", "..")).toAbsolutePath();
  private static final Pattern NONE_MISSING =
      Pattern.compile("(?m)^\\s+jvm\\.options\\.missing\\s+= none$");
  private static final Pattern DRIVER_ID = Pattern.compile("driver-\\d{14}-\\d{4,}");
  private static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws IOException {
    Path work = Path.of("target", "plain-spark-submit-it").toAbsolutePath();
    cluster = LocalCluster.builder(work).workers(2).workerCores(1).workerMemory("2g").start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The bash blocks of the README's "### Plain spark-submit" section, in order. */
  static List<String> readmeBlocks() throws IOException {
    String readme = Files.readString(REPO.resolve("README.md"));
    int start = readme.indexOf("\n### Plain spark-submit\n");
    assertTrue(start >= 0, "README has a ### Plain spark-submit section");
    Matcher end = Pattern.compile("\n##+ ").matcher(readme);
    String section = readme.substring(start, end.find(start + 1) ? end.start() : readme.length());
    List<String> blocks = new ArrayList<>();
    Matcher block = Pattern.compile("(?s)```bash\n(.*?)```").matcher(section);
    while (block.find()) {
      blocks.add(block.group(1));
    }
    return blocks;
  }

  /** A README block with the example cluster's addresses replaced by the local cluster's. */
  private static String forLocalCluster(String block) {
    Map<String, String> replace =
        Map.of(
            "/opt/spark", System.getProperty("sparknmt.spark.home"),
            "spark://master:7077", cluster.masterUrl(),
            "hdfs://namenode:8020", cluster.hdfsUri());
    String script = block;
    for (Map.Entry<String, String> r : replace.entrySet()) {
      assertTrue(script.contains(r.getKey()), "the README block names " + r.getKey());
      script = script.replace(r.getKey(), r.getValue());
    }
    return script;
  }

  private record Run(int exitCode, String output) {}

  /**
   * Runs a README block with bash from the repository root, in an environment like a user's shell
   * next to a Spark distribution whose conf/ is the cluster's (no SPARK_SCALA_VERSION: the Spark
   * home's bin/spark-submit finds it, as a distribution's load-spark-env.sh does).
   */
  private static Run bash(String name, String script) throws Exception {
    Path log = cluster.logDir().resolve("plain-" + name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-euo", "pipefail", "-c", script)
            .directory(REPO.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.remove("SPARK_SCALA_VERSION");
    env.remove("SPARK_HOME");
    env.put("SPARK_CONF_DIR", cluster.sparkConfDir().toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.putIfAbsent("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(name + " did not finish in 10 minutes, see " + log);
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  private static long count(Pattern pattern, String text) {
    return pattern.matcher(text).results().count();
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  @Test
  void readmeClientModeCommandRunsWithTheSparkHomesSparkSubmit() throws Exception {
    List<String> blocks = readmeBlocks();
    assertEquals(2, blocks.size(), "client and cluster deploy mode blocks");
    assertTrue(blocks.get(0).contains("\"$SPARK_HOME\"/bin/spark-submit"), blocks.get(0));
    Run run = bash("client", forLocalCluster(blocks.get(0)));
    assertEquals(0, run.exitCode(), () -> tail(run.output()));
    String out = run.output();
    assertTrue(out.contains("== driver (master " + cluster.masterUrl() + ")"), tail(out));
    assertTrue(out.contains("executors reporting: 2"), tail(out));
    assertTrue(
        out.contains("fs " + cluster.hdfsUri() + "/tmp/sparknmt-doctor: all checks passed"),
        tail(out));
    assertEquals(3, count(NONE_MISSING, out), "driver and both executors: " + tail(out));
    assertTrue(out.contains("doctor: all checks passed"), tail(out));
  }

  @Test
  void readmeClusterModeCommandRunsTheDriverOnAWorker() throws Exception {
    Path appJar = Path.of(System.getProperty("sparknmt.app.jar"));
    cluster.put("/apps", appJar);
    String block = readmeBlocks().get(1);
    assertTrue(block.contains("--deploy-mode cluster"), block);
    Run run = bash("cluster", forLocalCluster(block));
    assertEquals(0, run.exitCode(), () -> tail(run.output()));
    Matcher id = DRIVER_ID.matcher(run.output());
    assertTrue(id.find(), tail(run.output()));
    String stdout = driverFile(id.group(), "stdout");
    assertTrue(
        stdout.contains("doctor: all checks passed"), stdout + driverFile(id.group(), "stderr"));
    // the driver takes one worker's only core: one executor runs on the other worker
    Matcher executors = Pattern.compile("executors reporting: (\\d+)").matcher(stdout);
    assertTrue(executors.find(), stdout);
    assertTrue(Integer.parseInt(executors.group(1)) >= 1, stdout);
    assertEquals(
        1 + Integer.parseInt(executors.group(1)),
        count(NONE_MISSING, stdout),
        "the driver and every executor: " + stdout);

    // the same command for a driver that fails (a path below a file): what does spark-submit say?
    Path file = Files.writeString(cluster.workDir().resolve("not-a-dir"), "x");
    cluster.put("/blocked", file);
    String failing =
        forLocalCluster(block).replace("/tmp/sparknmt-doctor-cluster", "/blocked/not-a-dir/doctor");
    Run failed = bash("cluster-failing", failing);
    Matcher failedId = DRIVER_ID.matcher(failed.output());
    assertTrue(failedId.find(), tail(failed.output()));
    String state = driverState(failedId.group());
    System.out.println(
        "plain spark-submit, cluster mode, failing driver: exit code "
            + failed.exitCode()
            + ", driver state "
            + state);
    assertEquals("FAILED", state);
    assertEquals(
        0,
        failed.exitCode(),
        "spark-submit's exit code misses the failure: " + tail(failed.output()));
  }

  private static String driverFile(String driverId, String name) throws IOException {
    for (int i = 1; i <= cluster.workers(); i++) {
      Path file = cluster.workerDir(i).resolve(driverId).resolve(name);
      if (Files.isRegularFile(file)) {
        return Files.readString(file);
      }
    }
    throw new AssertionError("no " + name + " of " + driverId + " in any worker directory");
  }

  /** The driver's final state as the master reports it ({@code /json/}). */
  private static String driverState(String driverId) throws Exception {
    for (int attempt = 0; attempt < 120; attempt++) {
      String json =
          new String(
              java.net
                  .URI
                  .create(cluster.masterWebUrl() + "/json/")
                  .toURL()
                  .openStream()
                  .readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
      Matcher m =
          Pattern.compile("\"id\"\\s*:\\s*\"" + driverId + "\"[^}]*?\"state\"\\s*:\\s*\"([A-Z]+)\"")
              .matcher(json);
      if (m.find() && !m.group(1).equals("RUNNING") && !m.group(1).equals("SUBMITTED")) {
        return m.group(1);
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("driver " + driverId + " did not finish");
  }
}
