package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.cluster.LocalCluster;
import org.sparknmt.cluster.SparkJob;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;

/**
 * Issue 6 end to end on the standalone cluster (2 workers, executors in their own JVMs) with real
 * HDFS: prepare → train (parameter averaging over 2 workers) → bundle → translate, on a tiny slice
 * of the bundled corpus; then a training run killed after its first checkpoint and resumed.
 */
class TrainingPipelineIT {
  private static final int WORKERS = 2;
  private static LocalCluster cluster;
  private static FileSystem hdfs;

  /** A model and run small enough for CI; still every moving part of a real run. */
  static final String[] TINY = {
    "--set", "sparknmt.bpe.vocab-size=400",
    "--set", "sparknmt.shard.batch-tokens=0",
    "--set", "sparknmt.shard.batch-size-per-worker=8",
    "--set", "sparknmt.shard.max-source-length=48",
    "--set", "sparknmt.shard.max-target-length=48",
    "--set", "sparknmt.data.filter.max-ratio=3",
    "--set", "sparknmt.train.preset=tiny",
    "--set", "sparknmt.train.model.d-model=16",
    "--set", "sparknmt.train.model.heads=2",
    "--set", "sparknmt.train.model.encoder-layers=1",
    "--set", "sparknmt.train.model.decoder-layers=1",
    "--set", "sparknmt.train.model.d-ff=32",
    "--set", "sparknmt.train.model.warmup-steps=20",
    "--set", "sparknmt.train.workers=2",
    "--set", "sparknmt.train.averaging-frequency=2",
    "--set", "sparknmt.train.rounds-per-split=2",
    "--set", "sparknmt.train.checkpoint-every-splits=1",
    "--set", "sparknmt.train.dev-bleu-sentences=4",
    "--set", "sparknmt.train.average-last=2",
    "--set", "sparknmt.decode.method=greedy",
    "--set", "sparknmt.decode.max-len-a=1",
    "--set", "sparknmt.decode.max-len-b=5",
  };

  @BeforeAll
  static void startCluster() throws Exception {
    Path work = Path.of("target", "training-pipeline-it").toAbsolutePath();
    cluster = LocalCluster.builder(work).workers(WORKERS).workerCores(1).workerMemory("2g").start();
    Configuration conf = new Configuration();
    conf.set("dfs.replication", "1");
    hdfs = FileSystem.get(URI.create(cluster.hdfsUri()), conf);
    Path corpus = Files.createDirectories(work.resolve("corpus"));
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    slice(data, corpus, "train", 0, 240);
    slice(data, corpus, "dev", 0, 12);
    slice(data, corpus, "test", 0, 12);
    try (var files = Files.list(corpus)) {
      cluster.put("/it/corpus", files.toArray(Path[]::new));
    }
    SparkJob.ClientRun prep =
        cluster.submitClient(
            job(
                org.sparknmt.jobs.prep.PrepareJob.class,
                args(
                    "--source",
                    "/it/corpus/train.en",
                    "--target",
                    "/it/corpus/train.es",
                    "--dev-source",
                    "/it/corpus/dev.en",
                    "--dev-target",
                    "/it/corpus/dev.es",
                    "--test-source",
                    "/it/corpus/test.en",
                    "--test-target",
                    "/it/corpus/test.es",
                    "--out",
                    cluster.hdfsUri() + "/it/data")));
    assertEquals(0, prep.exitCode(), () -> "see " + prep.log() + "\n" + tail(prep.output()));
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (hdfs != null) {
      hdfs.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Lines {@code [from, from + n)} of a set of the bundled corpus, as plain text files. */
  static void slice(Path data, Path out, String set, int from, int n) throws IOException {
    for (String side : new String[] {"en", "es"}) {
      List<String> lines = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(
                  new GZIPInputStream(Files.newInputStream(data.resolve(set + "." + side + ".gz"))),
                  StandardCharsets.UTF_8))) {
        r.lines().skip(from).limit(n).forEach(lines::add);
      }
      Files.write(out.resolve(set + "." + side), lines, StandardCharsets.UTF_8);
    }
  }

  private static String[] args(String... a) {
    String[] all = new String[a.length + TINY.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(TINY, 0, all, a.length, TINY.length);
    return all;
  }

  static SparkJob job(Class<?> mainClass, String... args) {
    Path appJar = Path.of(System.getProperty("sparknmt.app.jar", "target/sparknmt-app.jar"));
    assertTrue(Files.isRegularFile(appJar), appJar + " missing: run mvn package first");
    return SparkJob.of(appJar, mainClass.getName(), args)
        .javaOptions(BuildInfo.javaOptions())
        .conf("spark.executor.memory", "1g")
        .timeout(Duration.ofMinutes(8));
  }

  static String tail(String text) {
    List<String> lines = text.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  private SparkJob.ClientRun train(String run, int epochs, String... extra) throws IOException {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--shards", cluster.hdfsUri() + "/it/data/shards",
                "--run", cluster.hdfsUri() + run,
                "--models", cluster.hdfsUri() + "/it/models",
                "--name", run.substring(run.lastIndexOf('/') + 1),
                "--set", "sparknmt.train.epochs=" + epochs));
    List<String> all = new ArrayList<>(List.of(args(a.toArray(String[]::new))));
    all.addAll(List.of(extra)); // after TINY: the last --set of a key wins
    return cluster.submitClient(job(TrainJob.class, all.toArray(String[]::new)));
  }

  private static List<JsonNode> metrics(String run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    String text = cluster.cat(run + "/report/metrics.jsonl");
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        out.add(json.readTree(line));
      }
    }
    return out;
  }

  @Test
  void trainsOnTheClusterWritesAVerifiedBundleAndTranslatesEveryLine() throws IOException {
    SparkJob.ClientRun run = train("/it/runs/full", 3);
    assertEquals(0, run.exitCode(), () -> "see " + run.log() + "\n" + tail(run.output()));
    List<JsonNode> train = metrics("/it/runs/full").stream().filter(m -> m.has("loss")).toList();
    assertTrue(train.size() >= 3, train.toString());
    double first = train.get(0).get("loss").asDouble();
    double last = train.get(train.size() - 1).get("loss").asDouble();
    assertTrue(last < first, "training loss did not decrease: " + first + " -> " + last);

    Configuration conf = hdfs.getConf();
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + "/it/models"), conf);
    List<String> versions = store.versions("full");
    assertEquals(1, versions.size(), versions.toString());
    ModelBundle bundle = store.open("full", versions.get(0)); // verifies every checksum
    assertTrue(bundle.metrics().has("test"), bundle.metrics().toString());

    // a finished run is not trained again
    SparkJob.ClientRun again = train("/it/runs/full", 3);
    assertEquals(0, again.exitCode(), () -> tail(again.output()));
    assertTrue(again.output().contains("already finished"), tail(again.output()));
    assertEquals(1, store.versions("full").size());

    String out = cluster.hdfsUri() + "/it/translations";
    SparkJob.ClientRun tr =
        cluster.submitClient(
            job(
                TranslateJob.class,
                args(
                    "--bundle",
                    bundle.uri().toString(),
                    "--input",
                    "/it/corpus/test.en",
                    "--output",
                    out)));
    assertEquals(0, tr.exitCode(), () -> "see " + tr.log() + "\n" + tail(tr.output()));
    long lines = 0;
    for (FileStatus f :
        hdfs.listStatus(new org.apache.hadoop.fs.Path(out), p -> p.getName().startsWith("part-"))) {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(hdfs.open(f.getPath()), StandardCharsets.UTF_8))) {
        lines += r.lines().count();
      }
    }
    assertEquals(12, lines);

    // EvaluateJob decodes the test set again from the bundle: the same translations and scores as
    // training recorded in the bundle (eval/test.hyp.txt, metrics.json)
    String evalOut = cluster.hdfsUri() + "/it/eval";
    SparkJob.ClientRun ev =
        cluster.submitClient(
            job(
                EvaluateJob.class,
                args(
                    "--bundle",
                    bundle.uri().toString(),
                    "--shards",
                    cluster.hdfsUri() + "/it/data/shards",
                    "--eval-set",
                    "test",
                    "--out",
                    evalOut)));
    assertEquals(0, ev.exitCode(), () -> "see " + ev.log() + "\n" + tail(ev.output()));
    assertEquals(
        bundle.readText(ModelBundle.hypothesesFile("test")),
        cluster.cat("/it/eval/hypotheses.txt"));
    JsonNode evalMetrics = new ObjectMapper().readTree(cluster.cat("/it/eval/metrics.json"));
    assertEquals(12, evalMetrics.get("sentences").asInt());
    assertEquals(
        bundle.metrics().get("test").get("bleu").asDouble(),
        evalMetrics.get("bleu").asDouble(),
        1e-9);
  }

  /**
   * The driver killed (SIGKILL) twice: mid-split, right after its first checkpoint, and then, in
   * the resumed attempt, while it writes a checkpoint: the half-written checkpoint is a hidden
   * temporary directory that the next attempt ignores; it resumes from the last complete checkpoint
   * and trains exactly the batches an uninterrupted run trains.
   */
  @Test
  void aDriverKilledMidSplitAndInsideACheckpointWriteResumesFromTheLastCompleteOne()
      throws Exception {
    String run = "/it/runs/resume";
    CompletableFuture<SparkJob.ClientRun> first = trainUntilACheckpoint(run, 4);
    killDriverOf(run);
    SparkJob.ClientRun killedMidSplit = first.get();
    assertTrue(killedMidSplit.exitCode() != 0, "not killed: " + tail(killedMidSplit.output()));

    // the resumed attempt: wait for one of its checkpoint writes to begin (a new temporary
    // directory appears), then kill it
    org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(run + "/checkpoints");
    List<String> leftovers = hiddenEntries(checkpoints);
    CompletableFuture<SparkJob.ClientRun> attempt = trainInBackground(run, 4);
    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    boolean inside = false;
    while (!inside && !attempt.isDone() && System.nanoTime() < deadline) {
      List<String> hidden = new ArrayList<>(hiddenEntries(checkpoints));
      hidden.removeAll(leftovers);
      inside = !hidden.isEmpty();
      if (inside) {
        killDriverOf(run);
      } else {
        Thread.sleep(5);
      }
    }
    SparkJob.ClientRun killed = attempt.get();
    assertTrue(inside, "no checkpoint write was caught in progress: " + tail(killed.output()));
    assertTrue(
        killed.exitCode() != 0, "the second attempt was not killed: " + tail(killed.output()));

    SparkJob.ClientRun second = train(run, 4);
    String out = second.output();
    assertEquals(0, second.exitCode(), () -> "see " + second.log() + "\n" + tail(out));
    assertTrue(out.contains("resuming from ckpt-"), tail(out));
    assertTrue(!out.contains("new run "), tail(out));
    assertEquals(
        0,
        hdfs.listStatus(checkpoints, p -> p.getName().startsWith(".")).length,
        "a half-written checkpoint was left behind");
    JsonNode lastTrain =
        metrics(run).stream().filter(m -> m.has("loss")).reduce((a, b) -> b).orElseThrow();
    assertEquals(3, lastTrain.get("epoch").asInt(), lastTrain.toString());

    // the batch log: the resumed run trained the batches of an uninterrupted run, in the same
    // order, none skipped or repeated (its records after the checkpoint were dropped on resume)
    String reference = "/it/runs/resume-reference";
    SparkJob.ClientRun uninterrupted = train(reference, 2);
    assertEquals(0, uninterrupted.exitCode(), () -> tail(uninterrupted.output()));
    List<String> expected = batchLog(reference);
    List<String> resumed = batchLog(run).subList(0, expected.size());
    assertEquals(expected, resumed);
  }

  /**
   * The DataNode stopped for 30 s while a run trains, then started again: the run either rides it
   * out (HDFS client and Spark task retries) or stops with one line naming the outage (exit 2);
   * started again, it resumes from its last checkpoint. Either way the bundle verifies and every
   * batch of every epoch was trained exactly once.
   */
  @Test
  void aDataNodeOutageMidTrainingEndsWithAVerifiedBundleAndNoBatchSkippedOrRepeated()
      throws Exception {
    String run = "/it/runs/datanode";
    CompletableFuture<SparkJob.ClientRun> training = trainUntilACheckpoint(run, 3);
    cluster.restartDataNode(Duration.ofSeconds(30));
    SparkJob.ClientRun attempt = training.get();
    if (attempt.exitCode() != 0) {
      SparkJob.ClientRun failed = attempt;
      assertEquals(Cli.EXIT_USER_ERROR, failed.exitCode(), () -> tail(failed.output()));
      assertTrue(
          failed.output().contains("error: HDFS could not read or write a block")
              || failed.output().contains("error: cannot reach a service the job needs"),
          () -> tail(failed.output()));
      attempt = train(run, 3);
      SparkJob.ClientRun resumed = attempt;
      assertEquals(0, resumed.exitCode(), () -> tail(resumed.output()));
      assertTrue(resumed.output().contains("resuming from ckpt-"), tail(resumed.output()));
    }
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + "/it/models"), hdfs.getConf());
    assertEquals(List.of("v0001"), store.versions("datanode"));
    store.open("datanode", "v0001"); // verifies every checksum
    List<JsonNode> records = metrics(run).stream().filter(m -> m.has("batchesSha256")).toList();
    for (int epoch = 0; epoch < 3; epoch++) {
      int next = 0;
      for (JsonNode m : records) {
        if (m.get("epoch").asInt() == epoch) {
          assertEquals(next, m.get("batchFrom").asInt(), "epoch " + epoch + ": " + records);
          next += m.get("batches").asInt();
        }
      }
      assertTrue(next > 0, "epoch " + epoch + " trained nothing: " + records);
    }
  }

  /**
   * PipelineJob's driver killed during prepare, once the corpus step has published its output: the
   * next run of the same command reuses the finished step, prepares the rest and trains to a
   * verified bundle.
   */
  @Test
  void aPipelineKilledDuringPrepareIsFinishedByTheNextRun() throws Exception {
    String work = "/it/pipeline-killed";
    org.apache.hadoop.fs.Path corpus =
        new org.apache.hadoop.fs.Path(
            work + "/data/" + org.sparknmt.jobs.prep.PreparePipeline.outputDirectory("corpus"));
    CompletableFuture<SparkJob.ClientRun> first =
        CompletableFuture.supplyAsync(() -> pipeline(work));
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (!first.isDone() && !hdfs.exists(corpus) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    killDriverOf(work);
    SparkJob.ClientRun killed = first.get();
    assertTrue(killed.exitCode() != 0, "not killed during prepare: " + tail(killed.output()));
    assertTrue(
        !hdfs.exists(new org.apache.hadoop.fs.Path(work + "/models")),
        "killed after prepare, not during it");

    SparkJob.ClientRun second = pipeline(work);
    String out = second.output();
    assertEquals(0, second.exitCode(), () -> "see " + second.log() + "\n" + tail(out));
    assertTrue(out.contains("prepare: step corpus done earlier"), tail(out));
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + work), hdfs.getConf());
    store.open("default", store.championVersion("default").orElseThrow()); // verifies
  }

  private static SparkJob.ClientRun pipeline(String work) {
    try {
      return cluster.submitClient(
          job(
              PipelineJob.class,
              args(
                  "--source", "/it/corpus/train.en",
                  "--target", "/it/corpus/train.es",
                  "--dev-source", "/it/corpus/dev.en",
                  "--dev-target", "/it/corpus/dev.es",
                  "--test-source", "/it/corpus/test.en",
                  "--test-target", "/it/corpus/test.es",
                  "--work", cluster.hdfsUri() + work,
                  "--samples", "2",
                  "--set", "sparknmt.train.epochs=1")));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Kills the driver (the SparkSubmit JVM) of the training into {@code run} the hard way. */
  private static void killDriverOf(String run) {
    ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().commandLine().orElse("").contains(run + " "))
        .forEach(ProcessHandle::destroyForcibly);
  }

  private static List<String> hiddenEntries(org.apache.hadoop.fs.Path dir) throws IOException {
    return Arrays.stream(hdfs.listStatus(dir, p -> p.getName().startsWith(".")))
        .map(st -> st.getPath().getName())
        .toList();
  }

  /** Each training record's epoch, first batch position and digest of the split's batch names. */
  private static List<String> batchLog(String run) throws IOException {
    return metrics(run).stream()
        .filter(m -> m.has("batchesSha256"))
        .map(
            m ->
                m.get("epoch").asInt()
                    + " "
                    + m.get("batchFrom").asInt()
                    + "+"
                    + m.get("batches").asInt()
                    + " "
                    + m.get("batchesSha256").asText())
        .toList();
  }

  /**
   * An executor JVM killed mid-training: Spark's standalone worker starts a new one, the lost tasks
   * of the averaging round run again from the round's broadcast parameters, and the run finishes
   * with a verified bundle; the driver's log says which executor was lost.
   */
  @Test
  void anExecutorKilledMidTrainingIsReplacedAndTheRunFinishes() throws Exception {
    String run = "/it/runs/executor-lost";
    CompletableFuture<SparkJob.ClientRun> training =
        trainUntilACheckpoint(run, 3, "--set", "sparknmt.train.averaging-frequency=10");
    Path driverLog = killAnExecutorWhenATaskStarts();

    SparkJob.ClientRun finished = training.get();
    String out = finished.output();
    assertEquals(0, finished.exitCode(), () -> "see " + finished.log() + "\n" + tail(out));
    String log = Files.readString(driverLog);
    assertTrue(log.contains("Lost executor"), () -> "the loss is not in " + driverLog);
    // a task that ran on it failed and ran again (a retry, not a silent loss); whether one was
    // running at the kill depends on timing (rounds of 10 batches make it likely)
    if (log.contains("ExecutorLostFailure")) {
      assertTrue(
          java.util.regex.Pattern.compile("Starting task \\d+\\.1 ").matcher(log).find(),
          () -> "a task was lost and not retried: " + driverLog);
    }
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + "/it/models"), hdfs.getConf());
    assertEquals(List.of("v0001"), store.versions("executor-lost"));
    store.open("executor-lost", "v0001"); // verifies every checksum
  }

  /**
   * With the workers averaging among themselves ({@code sparknmt.train.averaging = allreduce}), an
   * executor killed mid-split fails the split's barrier stage (its peer's all-reduce fails with
   * it); the split starts over from the driver's model on the replacement executor, and the run
   * finishes with every batch position of every epoch trained exactly once in the batch log.
   */
  @Test
  void withAllReduceAnExecutorKilledMidSplitStartsTheSplitOverAndTheRunFinishes() throws Exception {
    String run = "/it/runs/allreduce-executor-lost";
    CompletableFuture<SparkJob.ClientRun> training =
        trainUntilACheckpoint(
            run,
            3,
            "--set",
            "sparknmt.train.averaging=allreduce",
            "--set",
            "sparknmt.train.averaging-frequency=10");
    Path driverLog = killAnExecutorWhenATaskStarts();

    SparkJob.ClientRun finished = training.get();
    assertEquals(
        0, finished.exitCode(), () -> "see " + finished.log() + "\n" + tail(finished.output()));
    String log = Files.readString(driverLog);
    assertTrue(log.contains("Lost executor"), () -> "the loss is not in " + driverLog);
    if (log.contains("ExecutorLostFailure")) {
      assertTrue(
          log.contains("all-reduce split failed (attempt 1 of 4), starting it again"),
          () -> "a split was lost and not started over: " + driverLog);
    }
    java.util.Map<Integer, List<Integer>> positions = new java.util.TreeMap<>();
    for (JsonNode m : metrics(run)) {
      if (m.has("loss") && m.has("batchFrom")) {
        int epoch = m.get("epoch").asInt();
        int from = m.get("batchFrom").asInt();
        for (int b = from; b < from + m.get("batches").asInt(); b++) {
          positions.computeIfAbsent(epoch, e -> new ArrayList<>()).add(b);
        }
      }
    }
    assertEquals(3, positions.size(), positions.toString());
    for (List<Integer> trained : positions.values()) {
      assertEquals(
          java.util.stream.IntStream.range(0, trained.size()).boxed().toList(),
          trained.stream().sorted().toList(),
          "each batch position once");
    }
    ModelStore store = ModelStore.at(URI.create(cluster.hdfsUri() + "/it/models"), hdfs.getConf());
    store.open("allreduce-executor-lost", "v0001"); // verifies every checksum
  }

  /**
   * Waits until the driver hands out a task after this call, then kills one executor JVM with
   * SIGKILL; returns the driver's log.
   */
  private static Path killAnExecutorWhenATaskStarts() throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    // wait until the driver has handed out a task of a new averaging round: then kill
    Path driverLog;
    try (Stream<Path> logs = Files.list(cluster.workDir().resolve("logs"))) {
      driverLog =
          logs.filter(p -> p.getFileName().toString().startsWith("submit-TrainJob-client-"))
              .max(java.util.Comparator.comparingLong(p -> p.toFile().lastModified()))
              .orElseThrow();
    }
    long started = Files.readString(driverLog).split("Starting task", -1).length;
    while (System.nanoTime() < deadline
        && Files.readString(driverLog).split("Starting task", -1).length == started) {
      Thread.sleep(50);
    }
    List<ProcessHandle> executors =
        ProcessHandle.current()
            .descendants()
            .filter(
                p ->
                    p.info()
                        .commandLine()
                        .orElse("")
                        .contains("org.apache.spark.executor.CoarseGrainedExecutorBackend"))
            .toList();
    assertEquals(WORKERS, executors.size(), "one executor per worker");
    executors.get(0).destroyForcibly();
    return driverLog;
  }

  /** Starts a TrainJob in the background. */
  private CompletableFuture<SparkJob.ClientRun> trainInBackground(
      String run, int epochs, String... extra) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return train(run, epochs, extra);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  /** Starts a TrainJob in the background and returns once its first checkpoint exists. */
  private CompletableFuture<SparkJob.ClientRun> trainUntilACheckpoint(
      String run, int epochs, String... extra) throws IOException, InterruptedException {
    org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(run + "/checkpoints");
    CompletableFuture<SparkJob.ClientRun> training = trainInBackground(run, epochs, extra);
    long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
    while (!training.isDone() && System.nanoTime() < deadline && !hasCheckpoint(checkpoints)) {
      Thread.sleep(200);
    }
    assertTrue(hasCheckpoint(checkpoints), "no checkpoint appeared: the run did not get going");
    return training;
  }

  private static boolean hasCheckpoint(org.apache.hadoop.fs.Path dir) throws IOException {
    return hdfs.exists(dir)
        && hdfs.listStatus(dir, p -> p.getName().startsWith("ckpt-")).length > 0;
  }
}
