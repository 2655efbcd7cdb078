package org.sparknmt.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's pieces that need no running cluster (the cluster itself: spark-jobs' DoctorJobIT
 * and TrainingPipelineIT).
 */
class LocalClusterTest {
  @TempDir Path tmp;

  @Test
  void driverJavaOptionsKeepTheBuildsAndAddTheJobs() {
    SparkJob job =
        SparkJob.of(Path.of("app.jar"), "Main")
            .javaOptions("--add-opens=java.base/java.nio=ALL-UNNAMED")
            .conf("spark.driver.extraJavaOptions", "-Dlog4j2.configurationFile=x.properties");
    assertEquals(
        "--add-opens=java.base/java.nio=ALL-UNNAMED -Dlog4j2.configurationFile=x.properties",
        LocalCluster.driverJavaOptions(job));
    assertEquals(
        "-Da=1",
        LocalCluster.driverJavaOptions(SparkJob.of(Path.of("a.jar"), "M").javaOptions("-Da=1")));
  }

  @Test
  void freePortsAreDistinctAndNamed() throws Exception {
    List<String> names = LocalCluster.portNames(LocalCluster.Manager.STANDALONE, 3);
    Map<String, Integer> ports = LocalCluster.freePorts(names);
    assertEquals(names.size(), ports.size());
    assertEquals(names.size(), new HashSet<>(ports.values()).size());
    assertTrue(ports.containsKey("worker-3.ui"));
  }

  @Test
  void writesTheSameSiteFilesForHadoopAndSpark() throws Exception {
    Map<String, Integer> ports =
        LocalCluster.freePorts(LocalCluster.portNames(LocalCluster.Manager.STANDALONE, 1));
    LocalCluster.writeConf(tmp, ports);
    String core = Files.readString(tmp.resolve("conf/spark/core-site.xml"));
    assertTrue(
        core.contains(
            "<name>fs.defaultFS</name><value>hdfs://127.0.0.1:"
                + ports.get("namenode.rpc")
                + "</value>"),
        core);
    String hdfs = Files.readString(tmp.resolve("conf/spark/hdfs-site.xml"));
    assertTrue(hdfs.contains("<name>dfs.replication</name><value>1</value>"), hdfs);
    assertTrue(hdfs.contains("<name>dfs.permissions.enabled</name><value>false</value>"), hdfs);
    assertTrue(hdfs.contains("<name>dfs.namenode.safemode.extension</name><value>0</value>"));
    assertEquals(hdfs, Files.readString(tmp.resolve("conf/hadoop/hdfs-site.xml")));
    assertTrue(Files.exists(tmp.resolve("conf/hadoop/log4j.properties")));
  }

  @Test
  void yarnModeWritesYarnSiteForClientsAndOneConfDirPerNodeManager() throws Exception {
    Map<String, Integer> ports =
        LocalCluster.freePorts(LocalCluster.portNames(LocalCluster.Manager.YARN, 2));
    assertTrue(ports.containsKey("resourcemanager.web") && ports.containsKey("nodemanager-2.rpc"));
    assertTrue(!ports.containsKey("master.rpc"), ports.toString());
    LocalCluster.writeConf(tmp, ports);
    LocalCluster.writeYarnConf(tmp, ports, 2, LocalCluster.megabytes("6g"), 4);
    String client = Files.readString(tmp.resolve("conf/spark/yarn-site.xml"));
    assertTrue(
        client.contains(
            "<name>yarn.resourcemanager.address</name><value>127.0.0.1:"
                + ports.get("resourcemanager.rpc")
                + "</value>"),
        client);
    assertTrue(client.contains("<name>yarn.nodemanager.resource.memory-mb</name><value>6144<"));
    assertTrue(client.contains("<name>yarn.nodemanager.vmem-check-enabled</name><value>false<"));
    String nm2 = Files.readString(tmp.resolve("conf/nodemanager-2/yarn-site.xml"));
    assertTrue(
        nm2.contains(
            "<name>yarn.nodemanager.address</name><value>127.0.0.1:"
                + ports.get("nodemanager-2.rpc")
                + "</value>"),
        nm2);
    assertTrue(nm2.contains(tmp.resolve("yarn/nodemanager-2/logs").toString()), nm2);
    assertTrue(Files.exists(tmp.resolve("conf/nodemanager-2/core-site.xml")));
    assertTrue(
        Files.readString(tmp.resolve("conf/hadoop/capacity-scheduler.xml"))
            .contains("<name>yarn.scheduler.capacity.root.queues</name><value>default,training<"));
    assertEquals(512, LocalCluster.megabytes("512m"));
  }

  @Test
  void missingHomesSayHowToBuildThem() {
    Homes homes = new Homes(tmp.resolve("no-spark"), tmp.resolve("no-hadoop"));
    IllegalStateException e = assertThrows(IllegalStateException.class, homes::validate);
    assertTrue(e.getMessage().contains("mvn -pl local-cluster/spark-home package"), e.getMessage());
  }

  @Test
  void scalaVersionComesFromTheSparkCoreJar() throws Exception {
    Files.createDirectories(tmp.resolve("spark/jars"));
    Files.createFile(tmp.resolve("spark/jars/spark-core_2.12-3.5.9.jar"));
    Files.createFile(tmp.resolve("spark/jars/scala-library-2.12.18.jar"));
    assertEquals("2.12", new Homes(tmp.resolve("spark"), tmp).scalaBinaryVersion());
  }

  @Test
  void readsFlatJsonValues() {
    String json = "{ \"aliveworkers\" : 2, \"status\" : \"ALIVE\", \"driverState\" : \"FAILED\" }";
    assertEquals(2, Http.intValue(json, "aliveworkers"));
    assertEquals("FAILED", Http.value(json, "driverState").orElseThrow());
    assertEquals(-1, Http.intValue(json, "NumLiveDataNodes"));
  }

  @Test
  void stoppingAProcessStopsItsChildrenFirst() throws Exception {
    Process shell =
        new ProcessBuilder("bash", "-c", "sleep 300 & sleep 300 & wait").inheritIO().start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (shell.descendants().count() < 2 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    List<ProcessHandle> children = shell.descendants().toList();
    assertEquals(2, children.size());
    Processes.stopTree(shell.toHandle());
    assertTrue(children.stream().noneMatch(ProcessHandle::isAlive));
    assertTrue(!shell.isAlive());
  }

  @Test
  void cliRejectsBadUsageWithExitCode2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    LocalClusterCli cli =
        new LocalClusterCli(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, cli.run("frobnicate"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command 'frobnicate'"));
    assertEquals(2, cli.run("start", "--work-dir", tmp.toString(), "--workers", "two"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--workers expects a number"));
  }

  @Test
  void cliStatusWithoutAClusterFails() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    LocalClusterCli cli =
        new LocalClusterCli(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, cli.run("status", "--work-dir", tmp.toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("no local cluster state in"));
  }

  @Test
  void aWorkerResourceBecomesTheWorkersResourceSettings() throws Exception {
    Path script = Files.writeString(tmp.resolve("discover.sh"), "#!/bin/sh\n");
    assertThrows(
        IllegalArgumentException.class,
        () -> LocalCluster.builder(tmp).workerResource(1, "gpu", 1, script),
        "a script that is not executable");
    script.toFile().setExecutable(true);
    assertThrows(
        IllegalArgumentException.class,
        () -> LocalCluster.builder(tmp).workerResource(1, "gpu", 0, script));
    LocalCluster.builder(tmp).workerResource(2, "fakegpu", 2, script);
    assertEquals(
        List.of(
            "-Dspark.worker.resource.fakegpu.amount=2",
            "-Dspark.worker.resource.fakegpu.discoveryScript=" + script.toAbsolutePath()),
        new LocalCluster.WorkerResource("fakegpu", 2, script.toAbsolutePath()).javaOptions());
  }

  @Test
  void finishedApplicationsAreCleanedUpByTheWorkersAfterTheirTtl() {
    assertThrows(
        IllegalArgumentException.class,
        () -> LocalCluster.builder(tmp).finishedAppTtl(java.time.Duration.ofMillis(500)));
    assertEquals(
        List.of(
            "-Dspark.worker.cleanup.enabled=true",
            "-Dspark.worker.cleanup.interval=45",
            "-Dspark.worker.cleanup.appDataTtl=45"),
        LocalCluster.finishedAppCleanupOptions(java.time.Duration.ofSeconds(45)));
  }
}
