package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.BuildInfo;
import org.sparknmt.jobs.UserError;

class ModelStoreTest {
  static final Map<String, String> BPE =
      Map.of("merges.txt", "a b\nab c\n", "vocab.txt", "<pad>\n");
  static final Instant START = Instant.parse("2026-01-02T03:04:05Z");

  private static ComputationGraph graph;

  @TempDir Path tmp;
  private ModelStore store;

  @BeforeAll
  static void trainSmallGraph() {
    graph = SmallGraphs.trained(3, 2);
  }

  @BeforeEach
  void openStore() {
    store = ModelStore.at(tmp.toUri(), new Configuration());
  }

  static Provenance provenance() {
    return Provenance.of(
        Map.of("shards/manifest.json", "ab12"),
        START,
        START.plusSeconds(600),
        2,
        Map.of("run", "runs/r1"));
  }

  static BundleWriter complete(BundleWriter w) {
    return complete(w, graph);
  }

  /** {@code w} with every part of a bundle, the model being {@code model}. */
  static BundleWriter complete(BundleWriter w, ComputationGraph model) {
    return w.model(model)
        .bpe(BPE)
        .configJson("{\"model\": {\"preset\": \"tiny\", \"d_model\": 64}}")
        .metrics(Map.of("devBleu", 12.5, "bleuSignature", "nrefs:1|case:mixed|tok:13a"))
        .provenance(provenance());
  }

  @Test
  void writeAndOpenRoundTrip() throws Exception {
    ModelBundle written = complete(store.writer("en-es")).commit();
    assertEquals("v0001", written.version());
    assertEquals("en-es", written.name());

    ModelBundle b = store.open("en-es", "v0001");
    ComputationGraph loaded = b.loadModel(true);
    assertEquals(graph.params(), loaded.params());
    assertEquals(graph.getUpdater().getStateViewArray(), loaded.getUpdater().getStateViewArray());
    assertEquals(BPE, b.bpeFiles());
    assertEquals(
        64,
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(b.configJson())
            .path("model")
            .path("d_model")
            .asInt());
    assertEquals(12.5, b.metrics().path("devBleu").asDouble());
    assertEquals(provenance(), b.provenance());
    assertEquals(BuildInfo.version(), b.provenance().codeVersion());
    assertEquals(BuildInfo.get("dl4j.version"), b.provenance().libraries().get("dl4j"));

    Path dir = tmp.resolve("models/en-es/v0001");
    assertEquals(
        List.of(
            "MANIFEST.sha256",
            "bpe/merges.txt",
            "bpe/vocab.txt",
            "config.json",
            "metrics.json",
            "model.zip",
            "provenance.json"),
        filesUnder(dir));
    // sha256sum format, checksums of the bytes on disk
    String manifest = Files.readString(dir.resolve("MANIFEST.sha256"));
    String modelSum =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(dir.resolve("model.zip"))));
    assertTrue(manifest.contains(modelSum + "  model.zip\n"), manifest);
    assertEquals(6, manifest.lines().count());

    Path local = tmp.resolve("local-bpe");
    b.copyBpeTo(local);
    assertEquals("a b\nab c\n", Files.readString(local.resolve("merges.txt")));

    assertEquals("v0002", complete(store.writer("en-es")).commit().version());
    assertEquals(List.of("v0001", "v0002"), store.versions("en-es"));
    assertEquals(List.of("v0001", "v0002"), entries(tmp.resolve("models/en-es")));
  }

  @Test
  void bpeAndModelCanBeCopiedFromFiles() throws IOException {
    Path bpeDir = Files.createDirectories(tmp.resolve("bpe-out"));
    Files.writeString(bpeDir.resolve("merges.txt"), "x y\n");
    CheckpointStore ckpts =
        CheckpointStore.open(tmp.resolve("run").toUri(), new Configuration(), 1);
    Checkpoint c = ckpts.save(graph, TrainingState.initial(1, 2).at(0, 1, 5, 5));
    ModelBundle b =
        store
            .writer("m")
            .modelZip(c.modelUri())
            .bpeFrom(bpeDir.toUri())
            .bpe(Map.of("vocab.txt", "<pad>\n"))
            .configJson("{}")
            .metrics(Map.of())
            .provenance(provenance())
            .commit();
    assertEquals(Map.of("merges.txt", "x y\n", "vocab.txt", "<pad>\n"), b.bpeFiles());
    assertEquals(graph.params(), b.loadModel(false).params());

    BundleWriter twice = complete(store.writer("m")).bpeFrom(bpeDir.toUri());
    IllegalStateException e = assertThrows(IllegalStateException.class, twice::commit);
    assertTrue(e.getMessage().contains("bpe/merges.txt"), e.getMessage());
    assertEquals(List.of("v0001"), entries(tmp.resolve("models/m")));
  }

  @Test
  void tamperedFileIsRefusedNamingTheFile() throws IOException {
    complete(store.writer("m")).commit();
    Path dir = tmp.resolve("models/m/v0001");
    // edited without the local file system's .crc side file (as a copy elsewhere would be)
    Files.writeString(dir.resolve("config.json"), "{\"model\": {\"d_model\": 65}}\n");
    Files.deleteIfExists(dir.resolve(".config.json.crc"));
    UserError e = assertThrows(UserError.class, () -> store.open("m", "v0001"));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    assertTrue(e.getMessage().contains("modified or damaged"), e.getMessage());
    assertThrows(UserError.class, () -> store.promote("m", "v0001"));
    assertFalse(store.championVersion("m").isPresent());
  }

  @Test
  void corruptedModelIsRefusedEvenWhenTheFileSystemNoticesFirst() throws IOException {
    complete(store.writer("m")).commit();
    Path model = tmp.resolve("models/m/v0001/model.zip");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length - 10] ^= 0x20;
    Files.write(model, bytes);
    UserError e = assertThrows(UserError.class, () -> store.open("m", "v0001"));
    assertTrue(e.getMessage().contains("model.zip"), e.getMessage());
  }

  @Test
  void incompleteBundlesAreRefused() throws IOException {
    complete(store.writer("m")).commit();
    Path dir = tmp.resolve("models/m/v0001");
    Files.writeString(dir.resolve("notes.txt"), "added later");
    UserError extra = assertThrows(UserError.class, () -> store.open("m", "v0001"));
    assertTrue(extra.getMessage().contains("notes.txt is not listed"), extra.getMessage());
    Files.delete(dir.resolve("notes.txt"));
    store.open("m", "v0001");

    Files.delete(dir.resolve("bpe/vocab.txt"));
    UserError missing = assertThrows(UserError.class, () -> store.open("m", "v0001"));
    assertTrue(missing.getMessage().contains("bpe/vocab.txt"), missing.getMessage());
    Files.delete(dir.resolve("MANIFEST.sha256"));
    UserError noManifest = assertThrows(UserError.class, () -> store.open("m", "v0001"));
    assertTrue(noManifest.getMessage().contains("MANIFEST.sha256"), noManifest.getMessage());
    assertThrows(UserError.class, () -> store.open("m", "v0042"));
  }

  @Test
  void versionsAreImmutable() {
    complete(store.writer("m")).version("2026-01-02").commit();
    UserError e =
        assertThrows(
            UserError.class, () -> complete(store.writer("m")).version("2026-01-02").commit());
    assertTrue(e.getMessage().contains("immutable"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> store.writer("m").bpe(BPE).commit());
    assertThrows(UserError.class, () -> store.writer("../evil"));
  }

  @Test
  void championSwitchesAtomically() throws IOException {
    assertFalse(store.champion("m").isPresent());
    complete(store.writer("m")).commit();
    complete(store.writer("m")).commit();
    store.promote("m", "v0001");
    assertEquals("v0001", store.champion("m").orElseThrow().version());
    store.promote("m", "v0002");
    assertEquals("v0002", store.championVersion("m").orElseThrow());
    assertEquals("v0002\n", Files.readString(tmp.resolve("models/m/champion")));
    assertEquals(List.of("champion", "v0001", "v0002"), entries(tmp.resolve("models/m")));
    assertThrows(UserError.class, () -> store.promote("m", "v0003"));
    assertEquals("v0002", store.championVersion("m").orElseThrow());
  }

  /** Visible regular files under {@code dir}, recursively, as sorted relative paths. */
  static List<String> filesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .filter(n -> !n.startsWith(".") && !n.contains("/."))
          .sorted()
          .toList();
    }
  }

  /** Visible entries directly in {@code dir}, sorted. */
  static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }
}
