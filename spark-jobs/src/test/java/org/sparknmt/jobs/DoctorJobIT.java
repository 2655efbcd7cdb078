package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.cluster.LocalCluster;
import org.sparknmt.cluster.SparkJob;

/**
 * DoctorJob on a real standalone Spark cluster (master + 2 workers with 1 core each, executors in
 * their own JVMs) and a real HDFS (NameNode + DataNode), all started from Maven jars by {@link
 * LocalCluster}; jobs are submitted with SparkSubmit as spark-submit would.
 */
class DoctorJobIT {
  private static final int WORKERS = 2;
  private static LocalCluster cluster;
  private static Path appJar;

  @BeforeAll
  static void startCluster() throws IOException {
    appJar = Path.of(System.getProperty("sparknmt.app.jar", "target/sparknmt-app.jar"));
    assertTrue(Files.isRegularFile(appJar), appJar + " missing: run mvn package first");
    Path work = Path.of("target", "doctor-job-it").toAbsolutePath();
    cluster = LocalCluster.builder(work).workers(WORKERS).workerCores(1).workerMemory("2g").start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static SparkJob job(Class<?> mainClass, String... args) {
    return SparkJob.of(appJar, mainClass.getName(), args)
        .javaOptions(BuildInfo.javaOptions())
        .conf("spark.executor.memory", "1g");
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  @Test
  void doctorPassesOnHdfsAndTheLocalFileSystemInClientMode() throws IOException {
    Path local = Files.createDirectories(cluster.workDir().resolve("doctor-local"));
    String hdfs = cluster.hdfsUri() + "/tmp/doctor";
    SparkJob.ClientRun run =
        cluster.submitClient(
            job(DoctorJob.class, "--path", hdfs, "--path", local.toUri().toString()));
    String out = run.output();
    assertEquals(0, run.exitCode(), () -> "see " + run.log() + "\n" + tail(out));
    assertTrue(out.contains("executors reporting: " + WORKERS), tail(out));
    assertTrue(out.contains("== executor 0") && out.contains("== executor 1"), tail(out));
    assertTrue(out.contains("fs " + hdfs + ": all checks passed"), tail(out));
    assertTrue(out.contains("fs " + local.toUri() + ": all checks passed"), tail(out));
    assertTrue(out.contains("doctor: all checks passed"), tail(out));
  }

  /** HDFS shell commands run as long as they need unless a limit is given (long -put copies). */
  @Test
  void hdfsCommandsStopOnlyAtAGivenTimeLimit() throws IOException {
    assertEquals(0, cluster.hdfs("-mkdir", "-p", "/tmp/limits").exitCode());
    IOException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IOException.class, () -> cluster.hdfs(java.time.Duration.ofMillis(1), "-ls", "/tmp"));
    assertTrue(e.getMessage().contains("did not finish in 0 s"), e.getMessage());
  }

  @Test
  void doctorFinishesInClusterDeployModeThroughTheRestGateway() throws IOException {
    // scheme-less: resolved against fs.defaultFS from the cluster's core-site.xml
    SparkJob.DriverRun run =
        cluster.submitCluster(job(DoctorJob.class, "--path", "/tmp/doctor-cluster"));
    assertEquals(
        "FINISHED",
        run.state(),
        () ->
            "driver "
                + run.driverId()
                + " in "
                + run.driverDir()
                + "\n"
                + tail(run.driverStderr()));
    assertTrue(run.driverStdout().contains("doctor: all checks passed"), run.driverStdout());
  }

  @Test
  void doctorFailsWithAClearMessageOnAnUnwritablePath() throws IOException {
    // a directory cannot be created below a file (HDFS permissions are off on this cluster)
    Path local = Files.writeString(cluster.workDir().resolve("a-file"), "not a directory");
    cluster.put("/unwritable", local);
    assertEquals("not a directory", cluster.cat("/unwritable/a-file"));
    String target = cluster.hdfsUri() + "/unwritable/a-file/doctor";
    SparkJob.ClientRun run = cluster.submitClient(job(DoctorJob.class, "--path", target));
    assertEquals(Cli.EXIT_USER_ERROR, run.exitCode(), () -> tail(run.output()));
    assertTrue(
        run.output()
            .contains(
                "error: filesystem check failed for " + target + ": could not create directory"),
        tail(run.output()));
  }
}
