package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every write path of the stores — a checkpoint, a bundle, the champion pointer — through a file
 * system that fails on request ({@link FaultyFileSystem}: the n-th create, rename or close, a full
 * disk): the write fails with a message naming what it was writing, the previous state stays
 * readable, and no half-written file or directory is left under a name a reader would use. A write
 * stuck in the middle of a file (a slow or hanging disk) shows readers the previous state only.
 */
class WriteFaultsTest {
  private static ComputationGraph graph;
  private final Configuration conf = FaultyFileSystem.configure(new Configuration());

  @TempDir Path tmp;

  @BeforeAll
  static void trainSmallGraph() {
    graph = SmallGraphs.trained(5, 2);
  }

  @BeforeEach
  @AfterEach
  void noFaults() {
    FaultyFileSystem.reset();
  }

  /** Names in {@code dir} other than hidden temporaries. */
  private static List<String> visible(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  /** Hidden temporaries left in {@code dir}. */
  private static List<String> leftovers(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList();
    }
  }

  private static TrainingState state(long iteration) {
    return TrainingState.initial(11, 13).at(1, 0, iteration, iteration);
  }

  @Test
  void aFailedCheckpointWriteLeavesThePreviousCheckpointToResumeFrom() throws IOException {
    CheckpointStore store = CheckpointStore.open(FaultyFileSystem.uri(tmp.resolve("run")), conf, 5);
    store.save(graph, state(10));
    Path dir = tmp.resolve("run/checkpoints");

    for (Runnable fault :
        List.<Runnable>of(
            () -> FaultyFileSystem.failCreate(2), // state.json, after model.zip
            () -> FaultyFileSystem.failRename(1), // publishing the complete checkpoint
            () -> FaultyFileSystem.failClose(1), // model.zip
            () -> FaultyFileSystem.failClose(3), // the manifest, written last
            () -> FaultyFileSystem.diskFullAfter(100))) { // inside model.zip
      fault.run();
      RuntimeException e = assertThrows(RuntimeException.class, () -> store.save(graph, state(20)));
      FaultyFileSystem.reset();
      assertTrue(e.getMessage().contains("cannot write checkpoint"), e.getMessage());
      assertTrue(e.getCause().getMessage().contains("inject"), e.getCause().toString());
      assertEquals(List.of("ckpt-0000000010"), visible(dir));
      assertEquals(List.of(), leftovers(dir), "the temporary checkpoint is removed");
      assertEquals(10, store.restoreLatest().orElseThrow().state().iteration());
    }
  }

  @Test
  void aFailedBundleWriteAddsNoVersion() throws IOException {
    ModelStore store = ModelStore.at(FaultyFileSystem.uri(tmp.resolve("store")), conf);
    ModelStoreTest.complete(store.writer("m"), graph).commit();
    Path dir = tmp.resolve("store/models/m");

    for (Runnable fault :
        List.<Runnable>of(
            () -> FaultyFileSystem.failCreate(3),
            () -> FaultyFileSystem.failRename(1),
            () -> FaultyFileSystem.failClose(1),
            () -> FaultyFileSystem.failClose(2),
            () -> FaultyFileSystem.diskFullAfter(100))) {
      fault.run();
      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () -> ModelStoreTest.complete(store.writer("m"), graph).commit());
      FaultyFileSystem.reset();
      assertTrue(e.getMessage().contains("cannot write a model bundle"), e.getMessage());
      assertEquals(List.of("v0001"), store.versions("m"));
      assertEquals(List.of("v0001"), visible(dir));
      assertEquals(List.of(), leftovers(dir));
      store.open("m", "v0001"); // still verifies
    }
    assertEquals("v0002", ModelStoreTest.complete(store.writer("m"), graph).commit().version());
  }

  @Test
  void aFailedPromotionKeepsTheChampion() throws IOException {
    ModelStore store = ModelStore.at(FaultyFileSystem.uri(tmp.resolve("store")), conf);
    ModelStoreTest.complete(store.writer("m"), graph).commit();
    ModelStoreTest.complete(store.writer("m"), graph).commit();
    store.promote("m", "v0001");
    Path dir = tmp.resolve("store/models/m");

    for (Runnable fault :
        List.<Runnable>of(
            () -> FaultyFileSystem.failCreate(1), // the new pointer's temporary file
            () -> FaultyFileSystem.failClose(1), // the same, when it is closed
            () -> FaultyFileSystem.failRename(1), // the old pointer aside
            () -> FaultyFileSystem.failRename(2))) { // the new pointer into place: old one back
      fault.run();
      RuntimeException e = assertThrows(RuntimeException.class, () -> store.promote("m", "v0002"));
      FaultyFileSystem.reset();
      assertTrue(e.getMessage().contains("cannot update"), e.getMessage());
      assertEquals("v0001", store.championVersion("m").orElseThrow());
      assertEquals(List.of(), leftovers(dir));
    }
    store.promote("m", "v0002");
    assertEquals("v0002", store.championVersion("m").orElseThrow());
  }

  /** Waits until {@code write} hangs in {@code stall}; fails if it ends without reaching it. */
  private static void awaitStalled(FaultyFileSystem.Stall stall, Future<?> write) throws Exception {
    while (!stall.awaitWriter(100, TimeUnit.MILLISECONDS)) {
      if (write.isDone()) {
        write.get();
        fail("the write finished without reaching the stall");
      }
    }
  }

  @Test
  void aCheckpointStuckMidWriteIsInvisibleToAResume() throws Exception {
    URI run = FaultyFileSystem.uri(tmp.resolve("run"));
    CheckpointStore store = CheckpointStore.open(run, conf, 5);
    store.save(graph, state(10));
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      FaultyFileSystem.Stall stall = FaultyFileSystem.stallAfter(100); // inside model.zip
      Future<Checkpoint> saving = writer.submit(() -> store.save(graph, state(20)));
      awaitStalled(stall, saving);

      CheckpointStore reader = CheckpointStore.open(run, conf, 5);
      assertEquals(10, reader.restoreLatest().orElseThrow().state().iteration());
      assertEquals(List.of("ckpt-0000000010"), visible(tmp.resolve("run/checkpoints")));
      assertEquals(1, leftovers(tmp.resolve("run/checkpoints")).size(), "the write in progress");

      stall.release();
      assertEquals(20, saving.get(60, TimeUnit.SECONDS).iteration());
      assertEquals(20, reader.restoreLatest().orElseThrow().state().iteration());
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void aBundleStuckMidWriteIsNeitherListedNorChampion() throws Exception {
    ModelStore store = ModelStore.at(FaultyFileSystem.uri(tmp.resolve("store")), conf);
    ModelStoreTest.complete(store.writer("m"), graph).commit();
    store.promote("m", "v0001");
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      FaultyFileSystem.Stall stall = FaultyFileSystem.stallAfter(100);
      Future<ModelBundle> committing =
          writer.submit(() -> ModelStoreTest.complete(store.writer("m"), graph).commit());
      awaitStalled(stall, committing);

      assertEquals(List.of("v0001"), store.versions("m"));
      assertEquals("v0001", store.championVersion("m").orElseThrow());
      store.open("m", "v0001"); // still verifies

      stall.release();
      assertEquals("v0002", committing.get(60, TimeUnit.SECONDS).version());
      assertEquals(List.of("v0001", "v0002"), store.versions("m"));
      assertEquals("v0001", store.championVersion("m").orElseThrow(), "not promoted by a write");
    } finally {
      writer.shutdownNow();
    }
  }
}
