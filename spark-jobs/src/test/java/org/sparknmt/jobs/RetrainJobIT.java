package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.store.DirectoryLock;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.jobs.train.Promotion;

/**
 * RetrainJob fired as a scheduler would, in Spark local mode with a tiny model: the first run of a
 * model is promoted; the same snapshot again does nothing; a run while another holds the model
 * exits "locked"; a crash between the bundle and its promotion is finished by the next firing
 * without a second bundle; a grown snapshot cleans only its new part, warm-starts from the champion
 * and is kept when it does not beat it by the margin, promoted when it does.
 */
class RetrainJobIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private CapturedRun retrain(Path snapshot, Path eval, Path work, String... extra) {
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--snapshot", snapshot.toString()));
    for (String set : new String[] {"dev", "test"}) {
      args.addAll(
          List.of(
              "--" + set + "-source", eval.resolve(set + ".en").toString(),
              "--" + set + "-target", eval.resolve(set + ".es").toString()));
    }
    args.addAll(List.of("--work", work.toString(), "--models", work.resolve("store").toString()));
    args.addAll(List.of(TrainingPipelineIT.TINY));
    args.addAll(
        List.of(
            "--set", "sparknmt.spark.master=\"local[2]\"",
            "--set", "sparknmt.train.epochs=1"));
    args.addAll(List.of(extra));
    return CapturedRun.of(new RetrainJob(), args);
  }

  /** Writes lines [from, from + n) of the bundled train split as one TSV part. */
  private static void tsvPart(Path data, Path part, int from, int n) throws IOException {
    Path tmp = Files.createTempDirectory(part.getParent(), "slice");
    TrainingPipelineIT.slice(data, tmp, "train", from, n);
    List<String> en = Files.readAllLines(tmp.resolve("train.en"));
    List<String> es = Files.readAllLines(tmp.resolve("train.es"));
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < en.size(); i++) {
      rows.add(en.get(i) + "\t" + es.get(i));
    }
    Files.write(part, rows, StandardCharsets.UTF_8);
    try (Stream<Path> s = Files.list(tmp)) {
      for (Path p : s.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(tmp);
  }

  private static List<Path> cacheEntries(Path work) throws IOException {
    try (Stream<Path> s = Files.list(work.resolve("parts"))) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }

  private static List<JsonNode> history(Path work) throws IOException {
    Path file = work.resolve("store/models/default/" + Promotion.HISTORY);
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  /** The corpus step's report of the n-th run directory (in creation order). */
  private static JsonNode corpusReport(Path work, int n) throws IOException {
    try (Stream<Path> s = Files.list(work.resolve("runs"))) {
      List<Path> runs =
          s.sorted(
                  java.util.Comparator.comparing(
                      p -> {
                        try {
                          return Files.getLastModifiedTime(p.resolve("data/corpus/report.json"));
                        } catch (IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      }))
              .toList();
      return JSON.readTree(runs.get(n).resolve("data/corpus/report.json").toFile());
    }
  }

  @Test
  @SuppressWarnings("try") // the lock is held for its side effect only
  void retrainsSafelyWhenFiredAnyNumberOfTimes() throws Exception {
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    Path eval = Files.createDirectories(dir.resolve("eval"));
    TrainingPipelineIT.slice(data, eval, "dev", 0, 12);
    TrainingPipelineIT.slice(data, eval, "test", 0, 12);
    Path snapshot1 = Files.createDirectories(dir.resolve("snapshot-1"));
    tsvPart(data, snapshot1.resolve("part-0001.tsv"), 0, 200);
    Path work = dir.resolve("work");
    ModelStore store = ModelStore.at(work.resolve("store").toUri(), new Configuration());

    // 1. the first model of a name is promoted
    CapturedRun first = retrain(snapshot1, eval, work);
    assertEquals(Cli.EXIT_OK, first.exit(), first.out());
    assertEquals(List.of("v0001"), store.versions("default"));
    assertEquals("v0001", store.championVersion("default").orElseThrow());
    JsonNode decision = Promotion.decisionOf(store.open("default", "v0001")).orElseThrow();
    assertTrue(decision.path("promote").asBoolean(), decision.toString());
    assertEquals("no champion yet", decision.path("reason").asText());
    assertEquals(1, history(work).size());
    assertEquals(1, cacheEntries(work).size());

    // 2. the same snapshot again: nothing to do, nothing changes
    CapturedRun again = retrain(snapshot1, eval, work);
    assertEquals(Cli.EXIT_NOTHING_TO_DO, again.exit(), again.out());
    assertTrue(again.out().contains("nothing to do"), again.out());
    assertEquals(List.of("v0001"), store.versions("default"));

    // 3. another job holds the model: exit 3 naming it, nothing changes
    try (DirectoryLock held =
        DirectoryLock.acquire(
            store.modelUri("default"),
            new Configuration(),
            "a manual retraining",
            Duration.ofMinutes(10),
            false)) {
      CapturedRun locked = retrain(snapshot1, eval, work);
      assertEquals(Cli.EXIT_LOCKED, locked.exit(), locked.out());
      assertTrue(locked.out().contains("is locked by a manual retraining of "), locked.out());
    }
    assertEquals(List.of("v0001"), store.versions("default"));

    // 4. killed after the bundle was written, before promotion and the outcome: the next firing
    // finishes the job without training or writing a second bundle
    Path run1;
    try (Stream<Path> s = Files.list(work.resolve("runs"))) {
      run1 = s.findFirst().orElseThrow();
    }
    Files.delete(run1.resolve(WorkDirectory.OUTCOME));
    Files.delete(work.resolve("store/models/default/champion"));
    Files.delete(work.resolve("store/models/default/" + Promotion.HISTORY));
    CapturedRun resumed = retrain(snapshot1, eval, work);
    assertEquals(Cli.EXIT_OK, resumed.exit(), resumed.out());
    assertEquals(List.of("v0001"), store.versions("default"));
    assertEquals("v0001", store.championVersion("default").orElseThrow());
    assertEquals(1, history(work).size());

    // 5. a grown snapshot: only the new part is cleaned, the challenger warm-starts from the
    // champion and, not beating it by 100 BLEU, is kept
    Path snapshot2 = Files.createDirectories(dir.resolve("snapshot-2"));
    Files.copy(snapshot1.resolve("part-0001.tsv"), snapshot2.resolve("part-0001.tsv"));
    tsvPart(data, snapshot2.resolve("part-0002.tsv"), 200, 100);
    Path cachedPart = cacheEntries(work).get(0).resolve("part.json");
    FileTime cachedAt = Files.getLastModifiedTime(cachedPart);
    CapturedRun grown =
        retrain(snapshot2, eval, work, "--set", "sparknmt.promotion.min-improvement=100");
    assertEquals(Cli.EXIT_KEPT, grown.exit(), grown.out());
    JsonNode partCache = corpusReport(work, 1).path("inputs").path("partCache");
    assertEquals(1, partCache.path("reused").asInt(), partCache.toString());
    assertEquals(1, partCache.path("cleaned").asInt(), partCache.toString());
    assertEquals(2, cacheEntries(work).size());
    assertEquals(cachedAt, Files.getLastModifiedTime(cachedPart), "the first part is reused");
    assertEquals(List.of("v0001", "v0002"), store.versions("default"));
    assertEquals("v0001", store.championVersion("default").orElseThrow(), "champion stays");
    ModelBundle challenger = store.open("default", "v0002");
    JsonNode kept = Promotion.decisionOf(challenger).orElseThrow();
    assertFalse(kept.path("promote").asBoolean(), kept.toString());
    assertEquals("v0001", kept.path("champion").asText());
    assertTrue(kept.path("context").path("init").asText().startsWith("warm start from v0001"));
    assertEquals(
        store.open("default", "v0001").bpeFiles(),
        challenger.bpeFiles(),
        "encoded with the champion's vocabulary");
    List<JsonNode> history = history(work);
    assertEquals(2, history.size());
    assertEquals("v0002", history.get(1).path("version").asText());
    assertFalse(history.get(1).path("promote").asBoolean());

    // 6. the same snapshot under another rule (a new configuration, so a new retraining): a
    // challenger that clears the margin replaces the champion; the old champion's bundle stays
    CapturedRun promoted =
        retrain(snapshot2, eval, work, "--set", "sparknmt.promotion.min-improvement=-100");
    assertEquals(Cli.EXIT_OK, promoted.exit(), promoted.out());
    assertEquals(List.of("v0001", "v0002", "v0003"), store.versions("default"));
    assertEquals("v0003", store.championVersion("default").orElseThrow());
    JsonNode won = Promotion.decisionOf(store.open("default", "v0003")).orElseThrow();
    assertEquals("v0001", won.path("champion").asText(), "scored against the champion");
    assertTrue(won.path("championScore").isNumber(), won.toString());
    assertEquals(3, history(work).size());
  }
}
