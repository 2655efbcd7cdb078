package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.cluster.LocalCluster;
import org.sparknmt.cluster.SparkJob;

/**
 * Stage-level scheduling proven without a GPU: the standalone cluster's second worker announces two
 * devices of a fake resource ({@code fakegpu}, a discovery script printing addresses 0 and 1), the
 * first none, and PipelineJob runs with {@code sparknmt.resources.stage-level-scheduling} on and
 * dynamic allocation, in one application. The driver's {@link
 * org.sparknmt.jobs.gpu.StageResourceLog} lines say which resource profile each stage had and which
 * executors ran it; the executors' logs say which address each training and decoding task was given
 * ({@link org.sparknmt.jobs.gpu.TaskDevice}: the CPU backend's binder, which binds nothing).
 */
class StageSchedulingIT {
  private static final String DEVICE = "fakegpu";
  private static final Pattern EXECUTOR =
      Pattern.compile("executor (\\S+) added: resource profile (\\d+), resources (.*)$");
  private static final Pattern STAGE =
      Pattern.compile(
          "stage (\\d+) \\[(\\S+)\\] '(.*)': resource profile (\\d+), (\\d+) tasks on executors"
              + " \\[(.*)\\]$");
  private static final Pattern BOUND =
      Pattern.compile(
          "task (\\d+)\\.(\\d+) attempt \\d+ on executor (\\S+): "
              + DEVICE
              + " address (\\S+) -> (.*)$");

  private static LocalCluster cluster;
  private static Path work;
  private static SparkJob.ClientRun run;

  /** A stage as the driver logged it. */
  record Stage(int id, String group, String name, int profile, int tasks, Set<String> executors) {}

  @BeforeAll
  static void runThePipelineWithADeviceProfile() throws Exception {
    Path appJar = Path.of(System.getProperty("sparknmt.app.jar", "target/sparknmt-app.jar"));
    assertTrue(Files.isRegularFile(appJar), appJar + " missing: run mvn package first");
    work = Path.of("target", "stage-scheduling-it").toAbsolutePath();
    Files.createDirectories(work);
    Path discover = work.resolve("discover-fake-gpus.sh");
    Files.writeString(
        discover,
        "#!/usr/bin/env bash\necho '{\"name\":\"" + DEVICE + "\",\"addresses\":[\"0\",\"1\"]}'\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(discover, PosixFilePermissions.fromString("rwxr-xr-x"));
    cluster =
        LocalCluster.builder(work.resolve("cluster"))
            .workers(2)
            .workerCores(3)
            .workerMemory("4g")
            .workerResource(2, DEVICE, 2, discover)
            .start();
    Path corpus = Files.createDirectories(work.resolve("corpus"));
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    TrainingPipelineIT.slice(data, corpus, "train", 0, 160);
    TrainingPipelineIT.slice(data, corpus, "dev", 0, 8);
    TrainingPipelineIT.slice(data, corpus, "test", 0, 8);
    try (var files = Files.list(corpus)) {
      cluster.put("/it/corpus", files.toArray(Path[]::new));
    }
    List<String> args =
        new ArrayList<>(
            List.of(
                "--source", "/it/corpus/train.en",
                "--target", "/it/corpus/train.es",
                "--dev-source", "/it/corpus/dev.en",
                "--dev-target", "/it/corpus/dev.es",
                "--test-source", "/it/corpus/test.en",
                "--test-target", "/it/corpus/test.es",
                "--work", cluster.hdfsUri() + "/it/pipeline",
                "--samples", "1"));
    args.addAll(List.of(TrainingPipelineIT.TINY));
    args.addAll(
        List.of(
            "--set", "sparknmt.train.epochs=1",
            "--set", "sparknmt.resources.stage-level-scheduling=true",
            "--set", "sparknmt.resources.name=" + DEVICE,
            "--set", "sparknmt.resources.executor-cores=1",
            "--set", "sparknmt.resources.executor-memory=1g"));
    SparkJob job =
        SparkJob.of(appJar, PipelineJob.class.getName(), args.toArray(String[]::new))
            .javaOptions(BuildInfo.javaOptions())
            .conf("spark.executor.cores", "1")
            .conf("spark.executor.memory", "1g")
            .conf("spark.dynamicAllocation.enabled", "true")
            .conf("spark.dynamicAllocation.shuffleTracking.enabled", "true")
            .conf("spark.dynamicAllocation.maxExecutors", "2")
            .timeout(Duration.ofMinutes(10));
    run = cluster.submitClient(job);
    assertEquals(0, run.exitCode(), () -> "see " + run.log() + "\n" + tail(run.output()));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  /** Executor id → its resources as logged ("none" or "fakegpu=[1]"), with its profile. */
  private static Map<String, String[]> executors() {
    Map<String, String[]> out = new TreeMap<>();
    for (String line : run.output().lines().toList()) {
      Matcher m = EXECUTOR.matcher(line);
      if (m.find()) {
        out.put(m.group(1), new String[] {m.group(2), m.group(3).trim()});
      }
    }
    return out;
  }

  private static List<Stage> stages() {
    List<Stage> out = new ArrayList<>();
    for (String line : run.output().lines().toList()) {
      Matcher m = STAGE.matcher(line);
      if (m.find()) {
        Set<String> executors = new TreeSet<>();
        for (String e : m.group(6).split(",")) {
          if (!e.isBlank()) {
            executors.add(e.trim());
          }
        }
        out.add(
            new Stage(
                Integer.parseInt(m.group(1)),
                m.group(2),
                m.group(3),
                Integer.parseInt(m.group(4)),
                Integer.parseInt(m.group(5)),
                executors));
      }
    }
    return out;
  }

  @Test
  void corpusStepsRanOnExecutorsWithoutTheDeviceAndTrainingAndDecodingOnExecutorsWithOne() {
    Map<String, String[]> executors = executors();
    List<Stage> stages = stages();
    String log = "see " + run.log();
    assertFalse(stages.isEmpty(), "no stage lines from StageResourceLog; " + log);
    for (Map.Entry<String, String[]> e : executors.entrySet()) {
      boolean defaultProfile = e.getValue()[0].equals("0");
      String resources = e.getValue()[1];
      if (defaultProfile) {
        assertEquals("none", resources, "default executor " + e.getKey() + " holds a device");
      } else {
        assertTrue(
            resources.matches(DEVICE + "=\\[[01]\\]"),
            "device executor " + e.getKey() + " should hold one address: " + resources);
      }
    }
    // every stage ran on executors of its own profile only
    for (Stage s : stages) {
      for (String id : s.executors()) {
        String[] ex = executors.get(id);
        assertTrue(ex != null, "stage " + s + " ran on an executor never announced; " + log);
        assertEquals(Integer.toString(s.profile()), ex[0], "stage " + s + " ran on executor " + id);
      }
    }
    // the corpus steps run before any job group is set: all on the default profile
    List<Stage> corpus = stages.stream().filter(s -> s.group().equals("-")).toList();
    assertTrue(corpus.size() >= 5, "corpus stages: " + corpus);
    assertTrue(corpus.stream().allMatch(s -> s.profile() == 0), corpus.toString());
    assertTrue(
        stages.stream()
            .filter(s -> s.group().equals("sparknmt-verify"))
            .allMatch(s -> s.profile() == 0 && s.tasks() > 0),
        "the checksum check is not device work: " + stages);
    // training and the final evaluation (reading and decoding dev and test) ran on the device
    // profile, one profile for the whole run
    List<Stage> training = group(stages, "sparknmt-train");
    List<Stage> evaluation = group(stages, "sparknmt-evaluate");
    assertFalse(training.isEmpty(), "no training stages: " + stages);
    assertFalse(evaluation.isEmpty(), "no evaluation stages: " + stages);
    int device = training.get(0).profile();
    assertTrue(device != 0, "training: " + training);
    assertTrue(training.stream().allMatch(s -> s.profile() == device), "training: " + training);
    assertTrue(evaluation.stream().allMatch(s -> s.profile() == device), "eval: " + evaluation);
  }

  private static List<Stage> group(List<Stage> stages, String group) {
    return stages.stream().filter(s -> s.group().equals(group) && s.tasks() > 0).toList();
  }

  @Test
  void eachDeviceTaskWasGivenItsExecutorsAddress() throws IOException {
    Map<String, String[]> executors = executors();
    Map<String, Set<String>> addressesByExecutor = new LinkedHashMap<>();
    List<String> bindings = new ArrayList<>();
    try (Stream<Path> logs = Files.walk(cluster.workDir().resolve("spark"))) {
      for (Path stderr : logs.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
        for (String line : Files.readAllLines(stderr, StandardCharsets.UTF_8)) {
          Matcher m = BOUND.matcher(line);
          if (m.find()) {
            bindings.add(line);
            addressesByExecutor.computeIfAbsent(m.group(3), k -> new TreeSet<>()).add(m.group(4));
            assertEquals("CPU backend, no device to bind", m.group(5).trim(), line);
          }
        }
      }
    }
    assertFalse(bindings.isEmpty(), "no task logged a device binding");
    // the stages whose tasks bound a device: training rounds, and dev and test decoded once each
    // (one stage per set: no second decoding pass for sorting)
    Map<Integer, Stage> byId = new TreeMap<>();
    stages().forEach(s -> byId.put(s.id(), s));
    Map<String, Set<Integer>> boundStages = new TreeMap<>();
    for (String line : bindings) {
      Matcher m = BOUND.matcher(line);
      assertTrue(m.find());
      Stage stage = byId.get(Integer.parseInt(m.group(1)));
      assertTrue(stage != null, "a binding in a stage the driver did not log: " + line);
      boundStages.computeIfAbsent(stage.group(), k -> new TreeSet<>()).add(stage.id());
    }
    assertEquals(
        Set.of("sparknmt-train", "sparknmt-evaluate"), boundStages.keySet(), bindings.toString());
    assertEquals(2, boundStages.get("sparknmt-evaluate").size(), boundStages.toString());
    for (Map.Entry<String, Set<String>> e : addressesByExecutor.entrySet()) {
      String[] ex = executors.get(e.getKey());
      assertTrue(ex != null && !ex[0].equals("0"), "a default executor got a device: " + e);
      assertEquals(1, e.getValue().size(), "executor " + e.getKey() + " tasks: " + e.getValue());
      assertEquals(
          DEVICE + "=[" + e.getValue().iterator().next() + "]",
          ex[1],
          "executor " + e.getKey() + " tasks were given another address than it holds");
    }
  }
}
