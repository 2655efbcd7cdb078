package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.cluster.LocalCluster;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;

/**
 * The main command's PipelineJob (corpus pipeline, a short training with 2 executors, bundle,
 * evaluation) on a real YARN cluster: a ResourceManager and a NodeManager started from Hadoop 3.3.4
 * jars by {@link LocalCluster} in yarn mode, with a real HDFS, submitted as users do: {@code
 * deploy/spark-submit.sh --master yarn} with {@code HADOOP_CONF_DIR}, in client and in cluster
 * deploy mode. Asserts the exit code, YARN's final status and queue, that the driver (cluster mode)
 * and both executors ran in YARN containers, and the verified champion bundle on HDFS.
 */
class YarnClusterIT {
  private static final Pattern APPLICATION_ID = Pattern.compile("application_\\d+_\\d+");
  private static final String CORPUS = "/it/corpus";

  private static LocalCluster cluster;
  private static Path appJar;
  private static Path sparkJars;
  private static Path submitScript;

  @BeforeAll
  static void startCluster() throws Exception {
    appJar = Path.of(System.getProperty("sparknmt.app.jar", "target/sparknmt-app.jar"));
    assertTrue(Files.isRegularFile(appJar), appJar + " missing: run mvn package first");
    Path repo = Path.of(System.getProperty("sparknmt.repo", "..")).toAbsolutePath().normalize();
    submitScript = repo.resolve("deploy/spark-submit.sh");
    Path work = Path.of("target", "yarn-cluster-it").toAbsolutePath();
    // one NodeManager: 2 executors (1g heap + 2g memoryOverhead for ND4J each) and the AM fit
    cluster =
        LocalCluster.builder(work)
            .manager(LocalCluster.Manager.YARN)
            .workers(1)
            .workerCores(4)
            .workerMemory("10g")
            .start();
    sparkJars = cluster.homes().spark().resolve("jars");
    Path corpus = Files.createDirectories(work.resolve("corpus"));
    Path data = repo.resolve("data/bible-en-es");
    TrainingPipelineIT.slice(data, corpus, "train", 0, 240);
    TrainingPipelineIT.slice(data, corpus, "dev", 0, 12);
    TrainingPipelineIT.slice(data, corpus, "test", 0, 12);
    try (Stream<Path> files = Files.list(corpus)) {
      cluster.put(CORPUS, files.toArray(Path[]::new));
    }
    cluster.put("/apps", appJar);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** What a submission printed and how it ended. */
  record Submission(int exitCode, String output, Path log, String applicationId) {}

  /**
   * {@code deploy/spark-submit.sh --master yarn --deploy-mode MODE [SPARK_OPTIONS] --class
   * PipelineJob ...} with the cluster's configuration in {@code HADOOP_CONF_DIR}, as a user would
   * run it; {@code name} names its log.
   */
  private static Submission pipeline(
      String name, String deployMode, List<String> sparkOptions, String work, String... extra)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                submitScript.toString(),
                "--master",
                "yarn",
                "--deploy-mode",
                deployMode,
                "--num-executors",
                "2",
                "--executor-cores",
                "1",
                "--executor-memory",
                "1g",
                "--driver-memory",
                "1g",
                // Spark is installed on the NodeManager's host: nothing to upload per application
                "--conf",
                "spark.yarn.jars=local:" + sparkJars + "/*",
                // a failed driver is not started a second time
                "--conf",
                "spark.yarn.maxAppAttempts=1"));
    cmd.addAll(sparkOptions);
    cmd.addAll(List.of("--class", PipelineJob.class.getName()));
    for (String set : new String[] {"", "dev-", "test-"}) {
      String file = set.isEmpty() ? "train" : set.substring(0, set.length() - 1);
      cmd.addAll(
          List.of(
              "--" + set + "source",
              CORPUS + "/" + file + ".en",
              "--" + set + "target",
              CORPUS + "/" + file + ".es"));
    }
    cmd.addAll(List.of("--work", work, "--samples", "2"));
    cmd.addAll(List.of(TrainingPipelineIT.TINY));
    cmd.addAll(List.of(extra));

    Path log = cluster.logDir().resolve("submit-" + name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.remove("SPARK_HOME"); // the wrapper then runs the Spark home this repository assembles
    env.put("HADOOP_CONF_DIR", cluster.sparkConfDir().toString());
    env.put("SPARKNMT_APP_JAR", appJar.toAbsolutePath().toString());
    if ("cluster".equals(deployMode)) {
      // the jar is on HDFS already: YARN localizes it from there, nothing is uploaded
      env.put("SPARKNMT_APP_RESOURCE", cluster.hdfsUri() + "/apps/" + appJar.getFileName());
    }
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OMP_NUM_THREADS", "1");
    env.put("OMP_WAIT_POLICY", "PASSIVE");
    Process p = pb.start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in 15 min; see " + log);
    }
    String out = Files.readString(log);
    Matcher m = APPLICATION_ID.matcher(out);
    return new Submission(p.exitValue(), out, log, m.find() ? m.group() : null);
  }

  /** The ResourceManager's report on an application ({@code /ws/v1/cluster/apps/ID}). */
  private static JsonNode application(String id) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(cluster.resourceManagerWebUrl() + "/ws/v1/cluster/apps/" + id))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body()).get("app");
  }

  /** The YARN containers of an application: container id -> its stdout + stderr. */
  private static Map<String, String> containerLogs(String applicationId) throws IOException {
    Path dir = cluster.nodeManagerLogDir(1).resolve(applicationId);
    Map<String, String> logs = new java.util.TreeMap<>();
    try (Stream<Path> containers = Files.list(dir)) {
      for (Path c : containers.toList()) {
        StringBuilder text = new StringBuilder();
        for (String f : List.of("stdout", "stderr")) {
          if (Files.exists(c.resolve(f))) {
            text.append(Files.readString(c.resolve(f), StandardCharsets.UTF_8));
          }
        }
        logs.put(c.getFileName().toString(), text.toString());
      }
    }
    return logs;
  }

  private static List<String> executorContainers(Map<String, String> logs) {
    return logs.entrySet().stream()
        // their log lines (the AM's log names the class too, in the executors' launch command)
        .filter(e -> e.getValue().contains("INFO YarnCoarseGrainedExecutorBackend: "))
        .map(Map.Entry::getKey)
        .toList();
  }

  /**
   * The application master asked YARN for executor containers of 1g heap + 2g {@code
   * spark.executor.memoryOverhead}, the overhead set by the job from {@code
   * sparknmt.nd4j.executor-memory-overhead} (reference.conf) for ND4J's off-heap memory.
   */
  private static void assertExecutorsSizedForNd4j(Map<String, String> containers) {
    String am = containers.keySet().stream().filter(c -> c.endsWith("_000001")).findFirst().get();
    assertTrue(
        containers.get(am).contains("2 executor container(s)")
            && containers.get(am).contains("each with 1 core(s) and 3072 MB memory"),
        containers.get(am));
  }

  private static ModelBundle champion(String work) throws IOException {
    Configuration conf = new Configuration();
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + work), conf);
    return store.champion("default").orElseThrow(); // verifies every checksum
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  @Test
  void pipelineRunsInClientModeOnTheChosenQueueWithTwoExecutorContainers() throws Exception {
    Submission run =
        pipeline(
            "client",
            "client",
            List.of("--queue", "training"),
            "/it/client",
            "--set",
            "sparknmt.train.epochs=1");
    assertEquals(0, run.exitCode(), () -> "see " + run.log() + "\n" + tail(run.output()));
    assertTrue(run.applicationId() != null, tail(run.output()));
    JsonNode app = application(run.applicationId());
    assertEquals("SUCCEEDED", app.get("finalStatus").asText(), app.toString());
    assertEquals("training", app.get("queue").asText(), app.toString());

    ModelBundle bundle = champion("/it/client");
    assertEquals(12, bundle.readText(ModelBundle.hypothesesFile("test")).lines().count());
    String test =
        String.format("test BLEU  %.2f", bundle.metrics().get("test").get("bleu").asDouble());
    assertTrue(run.output().contains(test), tail(run.output())); // the driver is this process
    assertTrue(run.output().contains("model bundle: " + bundle.uri()), tail(run.output()));

    Map<String, String> containers = containerLogs(run.applicationId());
    assertEquals(2, executorContainers(containers).size(), containers.keySet().toString());
    assertExecutorsSizedForNd4j(containers);
    // the first container is the application master (client mode: ExecutorLauncher, no driver)
    String am = containers.keySet().stream().filter(c -> c.endsWith("_000001")).findFirst().get();
    assertTrue(containers.get(am).contains("ApplicationMaster:"), containers.get(am));
    assertTrue(!containers.get(am).contains("model bundle:"), containers.get(am));
  }

  /**
   * Cluster mode: the driver runs in the AM container, so a configuration file on the submitting
   * machine must travel with the application ({@code --files}, i.e. {@code spark.yarn.dist.files})
   * and is named relative to the container's working directory; a missing file would stop the job
   * with exit code 2.
   */
  @Test
  void pipelineRunsInClusterModeWithTheDriverInTheApplicationMaster() throws Exception {
    Path conf = cluster.workDir().resolve("yarn-it.conf");
    Files.writeString(conf, "sparknmt.train.epochs = 1\n");
    Submission run =
        pipeline(
            "cluster",
            "cluster",
            List.of("--files", conf.toString()),
            "/it/cluster",
            "--conf",
            conf.getFileName().toString());
    assertEquals(0, run.exitCode(), () -> "see " + run.log() + "\n" + tail(run.output()));
    JsonNode app = application(run.applicationId());
    assertEquals("SUCCEEDED", app.get("finalStatus").asText(), app.toString());
    assertEquals("default", app.get("queue").asText(), app.toString());

    ModelBundle bundle = champion("/it/cluster");
    String test =
        String.format("test BLEU  %.2f", bundle.metrics().get("test").get("bleu").asDouble());
    Map<String, String> containers = containerLogs(run.applicationId());
    List<String> drivers =
        containers.entrySet().stream()
            .filter(e -> e.getValue().contains("model bundle: " + bundle.uri()))
            .map(Map.Entry::getKey)
            .toList();
    assertEquals(1, drivers.size(), "the driver's output in " + containers.keySet());
    assertTrue(containers.get(drivers.get(0)).contains(test), containers.get(drivers.get(0)));
    assertTrue(drivers.get(0).endsWith("_000001"), "driver in the AM container: " + drivers);
    assertEquals(2, executorContainers(containers).size(), containers.keySet().toString());
    assertExecutorsSizedForNd4j(containers);
  }

  @Test
  void aFailingJobInClusterModeFailsTheSubmissionWithItsExitCode() throws Exception {
    Submission run =
        pipeline(
            "cluster-bad-setting",
            "cluster",
            List.of(),
            "/it/bad",
            "--set",
            "sparknmt.train.epochs=-1");
    assertTrue(run.exitCode() != 0, tail(run.output()));
    JsonNode app = application(run.applicationId());
    assertEquals("FAILED", app.get("finalStatus").asText(), app.toString());
    assertTrue(
        app.get("diagnostics").asText().contains("User application exited with status 2"),
        app.toString());
  }
}
