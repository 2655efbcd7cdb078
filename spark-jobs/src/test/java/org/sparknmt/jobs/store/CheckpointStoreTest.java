package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.UserError;

class CheckpointStoreTest {
  private static ComputationGraph graph;

  @TempDir Path tmp;

  @BeforeAll
  static void trainSmallGraph() {
    graph = SmallGraphs.trained(7, 3);
  }

  private CheckpointStore store(int keepLast) {
    return CheckpointStore.open(tmp.resolve("run").toUri(), new Configuration(), keepLast);
  }

  private static TrainingState state(long iteration) {
    return TrainingState.initial(11, 13).at(1, (int) iteration % 5, iteration, iteration);
  }

  @Test
  void roundTripKeepsParametersUpdaterStateAndTrainingState() {
    CheckpointStore store = store(3);
    TrainingState state =
        state(40).withBest(0.25, CheckpointStore.nameFor(40)).withBadValidations(2).withWallTime(9);
    store.save(graph, state);

    Checkpoint.Restored r = store.latestComplete().orElseThrow().load();
    assertEquals(state, r.state());
    assertEquals(graph.params(), r.model().params());
    assertNotEquals(0.0, graph.getUpdater().getStateViewArray().norm2Number().doubleValue());
    assertEquals(
        graph.getUpdater().getStateViewArray(), r.model().getUpdater().getStateViewArray());
    assertEquals("ckpt-0000000040", r.checkpoint().name());
  }

  @Test
  void crashLeftoversAreIgnoredAndTheLatestCompleteCheckpointLoads() throws IOException {
    CheckpointStore store = store(3);
    store.save(graph, state(10));
    store.save(graph, state(20));
    Path ckpts = tmp.resolve("run/checkpoints");
    // killed while writing the temp dir of iteration 30
    Path halfWritten = Files.createDirectories(ckpts.resolve(".tmp-ckpt-0000000030-dead"));
    Files.write(halfWritten.resolve("model.zip"), new byte[] {'P', 'K', 3});
    // a checkpoint dir without its manifest (e.g. a non-atomic rename on an object store)
    Path noMarker = Files.createDirectories(ckpts.resolve(CheckpointStore.nameFor(40)));
    Files.copy(ckpts.resolve("ckpt-0000000020/model.zip"), noMarker.resolve("model.zip"));
    Files.writeString(noMarker.resolve("state.json"), state(40).toJson());

    Checkpoint latest = store.latestComplete().orElseThrow();
    assertEquals(20, latest.iteration());
    Checkpoint.Restored r = store.restoreLatest().orElseThrow();
    assertEquals(state(20), r.state());
    assertEquals(graph.params(), r.model().params());

    // the next save cleans the leftovers up
    store.save(graph, state(50));
    assertEquals(List.of("ckpt-0000000010", "ckpt-0000000020", "ckpt-0000000050"), names(ckpts));
  }

  @Test
  void damagedCheckpointIsRefusedAndResumeFallsBackToThePreviousOne() throws IOException {
    CheckpointStore store = store(3);
    store.save(graph, state(10));
    store.save(graph, state(20));
    Path model = tmp.resolve("run/checkpoints/ckpt-0000000020/model.zip");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length / 2] ^= 1;
    Files.write(model, bytes);

    UserError e =
        assertThrows(UserError.class, () -> store.latestComplete().orElseThrow().loadModel());
    assertTrue(e.getMessage().contains("model.zip"), e.getMessage());
    assertEquals(10, store.restoreLatest().orElseThrow().checkpoint().iteration());
  }

  @Test
  void epochEndCheckpointsAreTheOnesThatStartANextEpoch() {
    CheckpointStore store = store(10);
    TrainingState start = TrainingState.initial(11, 13);
    store.save(graph, start.at(0, 3, 10, 10)); // mid-epoch 0
    store.save(graph, start.at(1, 0, 20, 20)); // end of epoch 0
    store.save(graph, start.at(1, 3, 30, 30));
    store.save(graph, start.at(2, 0, 40, 40)); // end of epoch 1
    store.save(graph, start.at(2, 3, 50, 50));
    assertEquals(
        List.of(40L, 20L),
        store.lastEpochEnds(3).stream().map(c -> c.state().iteration()).toList());
    assertEquals(
        List.of(50L, 40L, 30L), store.lastN(3).stream().map(c -> c.state().iteration()).toList());
  }

  @Test
  void retentionKeepsTheLastNAndTheBest() throws IOException {
    CheckpointStore store = store(2);
    String best = CheckpointStore.nameFor(20);
    store.save(graph, state(10));
    store.save(graph, state(20).withBest(1.5, best));
    store.save(graph, state(30).withBest(1.5, best));
    store.save(graph, state(40).withBest(1.5, best));
    store.save(graph, state(50).withBest(1.5, best));

    assertEquals(
        List.of("ckpt-0000000020", "ckpt-0000000040", "ckpt-0000000050"),
        names(tmp.resolve("run/checkpoints")));
    assertEquals(List.of(50L, 40L), store.lastN(2).stream().map(Checkpoint::iteration).toList());
    assertEquals(best, store.find(best).orElseThrow().name());
  }

  @Test
  void savingTheSameIterationAgainReplacesIt() {
    CheckpointStore store = store(3);
    store.save(graph, state(10));
    TrainingState epochEnd = TrainingState.initial(11, 13).at(2, 0, 10, 10);
    store.save(graph, epochEnd);
    assertEquals(1, store.complete().size());
    assertEquals(epochEnd, store.latestComplete().orElseThrow().state());
  }

  @Test
  void emptyRunHasNoCheckpoint() {
    assertFalse(store(1).latestComplete().isPresent());
    assertFalse(store(1).restoreLatest().isPresent());
    assertThrows(UserError.class, () -> store(0));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  @Test
  void stateJsonRoundTripsItsBatchPositionAndRefusesTheOldSplitPosition() {
    TrainingState s = TrainingState.initial(1, 2).at(3, 80, 500, 500);
    TrainingState back = TrainingState.fromJson(s.toJson(), "state.json");
    assertEquals(80, back.nextBatch());
    assertEquals(s, back);
    String old = s.toJson().replace("\"nextBatch\"", "\"nextSplit\"").replace(": 80,", ": 2,");
    UserError e = assertThrows(UserError.class, () -> TrainingState.fromJson(old, "x/state.json"));
    assertTrue(
        e.getMessage().contains("x/state.json was written by an older sparknmt"), e.getMessage());
    assertTrue(e.getMessage().contains("next split 2"), e.getMessage());
  }
}
