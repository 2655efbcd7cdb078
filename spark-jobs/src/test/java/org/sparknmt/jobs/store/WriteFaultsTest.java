package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * system that fails on request ({@link FaultyFileSystem}: the n-th create or rename, a full disk):
 * the write fails with a message naming what it was writing, the previous state stays readable, and
 * no half-written file or directory is left under a name a reader would use.
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
}
