package org.sparknmt.jobs.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.Cli;
import org.sparknmt.jobs.Sessions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.train.ShardSet;

/** The whole corpus pipeline (corpus → vocab → shard) in local[2] on a tiny corpus. */
class PreparePipelineTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = Sessions.create(Settings.defaults(), "PreparePipelineTest");
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stop() {
    spark.close();
  }

  private record Run(int exit, String err) {}

  private Run prepare(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Cli.execute(new PrepareJob(spark), args);
      return new Run(code, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }

  private static final String[] WORDS = {
    "the", "light", "water", "earth", "said", "God", "and", "was", "over", "day", "night", "good"
  };

  /** n synthetic pairs + the listed special lines appended (source, target). */
  private void corpus(Path src, Path tgt, int n, List<String[]> extra) throws IOException {
    Random r = new Random(3);
    StringBuilder s = new StringBuilder();
    StringBuilder t = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int len = 3 + r.nextInt(10);
      List<String> ws = new ArrayList<>();
      List<String> wt = new ArrayList<>();
      for (int k = 0; k < len; k++) {
        String w = WORDS[r.nextInt(WORDS.length)];
        ws.add(w + (k == len - 1 ? "." : ""));
        wt.add("el_" + w + (k == len - 1 ? "." : ""));
      }
      s.append(String.join(" ", ws)).append('\n');
      t.append(String.join(" ", wt)).append('\n');
    }
    for (String[] e : extra) {
      s.append(e[0]).append('\n');
      t.append(e[1]).append('\n');
    }
    write(src, s.toString());
    write(tgt, t.toString());
  }

  private static void write(Path p, String content) throws IOException {
    Files.createDirectories(p.getParent());
    if (p.toString().endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
    } else {
      Files.writeString(p, content);
    }
  }

  private static long countLines(Path dirOfParts, String glob) throws IOException {
    long n = 0;
    try (Stream<Path> files = Files.list(dirOfParts)) {
      for (Path p : files.filter(f -> f.getFileName().toString().matches(glob)).toList()) {
        n += Files.readAllLines(p).size();
      }
    }
    return n;
  }

  @Test
  void wholePipelineAccountsForEveryPair() throws Exception {
    Path src = dir.resolve("in/train.src.gz");
    Path tgt = dir.resolve("in/train.tgt.gz");
    List<String[]> extra =
        List.of(
            new String[] {"", "el_vacío"}, // empty
            new String[] {"a b c d e f g h i j k l", "x"}, // length ratio
            new String[] {"Amen  \u200b.", "Amén ."}, // kept, normalised
            new String[] {"Amen .", "Amén ."}, // duplicate after normalising
            new String[] {"  \t ", "   "}); // empty
    corpus(src, tgt, 300, extra);
    corpus(dir.resolve("in/dev.src"), dir.resolve("in/dev.tgt"), 21, List.of());
    Path out = dir.resolve("out");
    Run run =
        prepare(
            "--source", src.toString(),
            "--target", tgt.toString(),
            "--dev-source", dir.resolve("in/dev.src").toString(),
            "--dev-target", dir.resolve("in/dev.tgt").toString(),
            "--out", out.toString(),
            "--set", "sparknmt.bpe.vocab-size=320",
            "--set", "sparknmt.shard.batch-tokens=0",
            "--set", "sparknmt.shard.batch-size-per-worker=8",
            "--set", "sparknmt.shard.max-source-length=14");
    assertEquals(0, run.exit(), run.err());

    // corpus report: kept + rejected = input, per-filter counts, rejects/ has every rejected pair
    JsonNode report = JSON.readTree(out.resolve("corpus/report.json").toFile());
    JsonNode pairs = report.get("pairs");
    long input = pairs.get("input").asLong();
    assertEquals(305, input);
    assertEquals(input, pairs.get("kept").asLong() + pairs.get("rejected").asLong());
    JsonNode by = report.get("rejectedBy");
    assertEquals(2, by.get("empty").asLong());
    assertEquals(1, by.get("length-ratio").asLong());
    long dups = by.get("duplicate").asLong();
    assertTrue(dups >= 1, "the normalised duplicate is rejected");
    assertEquals(
        pairs.get("rejected").asLong(), countLines(out.resolve("corpus/rejects"), "part-.*"));
    assertEquals(64, report.get("inputs").get("files").get(0).get("sha256").asText().length());
    assertEquals(21, report.get("dev").asLong());
    long train = pairs.get("train").asLong();
    assertEquals(train, countLines(out.resolve("corpus/train"), "part-.*"));

    // BPE files
    assertTrue(Files.isRegularFile(out.resolve("bpe/vocab.txt")));
    assertTrue(Files.isRegularFile(out.resolve("bpe/merges.txt")));

    // manifest: batched + too long + leftover = corpus train pairs, exact batch sizes
    JsonNode m = JSON.readTree(out.resolve("shards/manifest.json").toFile());
    assertEquals(8, m.get("batchSizePerWorker").asInt());
    JsonNode tp = m.get("train").get("pairs");
    assertEquals(train, tp.get("input").asLong());
    long batched = tp.get("batched").asLong();
    long tooLong = tp.get("too-long-subwords").asLong();
    long leftover = tp.get("batch-leftover").asLong();
    assertTrue(tooLong > 0, "max-source-length=14 rejects some pairs");
    assertEquals(train, batched + tooLong + leftover);
    assertTrue(leftover < 8);
    assertEquals(0, batched % 8);
    long batches = m.get("train").get("batches").asLong();
    assertEquals(batched / 8, batches);
    assertEquals(tooLong + leftover, countLines(out.resolve("shards/rejects"), "part-.*"));
    long bucketPairs = 0;
    for (JsonNode row : m.get("train").get("buckets")) {
      bucketPairs += row.get("pairs").asLong();
    }
    assertEquals(batched, bucketPairs);
    long realTokens = 0;
    long padded = 0;
    // the batch index (train/index.tsv) describes every batch as it is: its place in a part file,
    // shape, tokens and checksum; the manifest lists the parts with theirs
    List<String> index = Files.readAllLines(out.resolve("shards/train/index.tsv"));
    assertEquals(batches + 1, index.size());
    ShardSet shards =
        ShardSet.open(out.resolve("shards").toUri(), spark.sparkContext().hadoopConfiguration());
    Map<String, Long> work = shards.batchWork("train");
    List<String> refs = shards.batches("train");
    List<org.nd4j.linalg.dataset.api.MultiDataSet> loaded = shards.loadBatches("train");
    assertEquals(batches, work.size());
    assertEquals(batches, loaded.size());
    JsonNode parts = m.get("train").get("parts");
    assertEquals(2, parts.size(), "one part per writer (local[2]): " + parts);
    for (int i = 0; i < batches; i++) {
      org.nd4j.linalg.dataset.api.MultiDataSet mds = loaded.get(i);
      assertEquals(8, mds.getFeatures(0).size(0));
      assertTrue(mds.getFeatures(0).size(1) <= 14);
      realTokens += mds.getFeaturesMaskArray(0).sumNumber().longValue();
      realTokens += mds.getLabelsMaskArray(0).sumNumber().longValue();
      padded += mds.getFeatures(0).length() + mds.getFeatures(1).length();
      String[] row = index.get(i + 1).split("\t");
      Path part = out.resolve("shards/train").resolve(row[0]);
      byte[] bytes = Files.readAllBytes(part);
      int offset = Integer.parseInt(row[1]);
      int length = Integer.parseInt(row[2]);
      assertTrue(
          refs.get(i).endsWith("/train/" + row[0] + "#" + offset + "+" + length), refs.get(i));
      assertEquals(
          sha256(java.util.Arrays.copyOfRange(bytes, offset, offset + length)),
          row[8],
          "checksum of batch " + i);
      assertEquals(mds.getFeatures(0).size(1), Long.parseLong(row[4]));
      assertEquals(mds.getFeatures(1).size(1), Long.parseLong(row[5]));
      assertEquals(mds.getLabelsMaskArray(0).sumNumber().longValue(), Long.parseLong(row[7]));
      assertEquals(
          mds.getFeatures(0).length() + mds.getFeatures(1).length(), work.get(refs.get(i)));
    }
    long partBytes = 0;
    for (JsonNode part : parts) {
      Path file = out.resolve("shards/train").resolve(part.get("file").asText());
      assertEquals(part.get("bytes").asLong(), Files.size(file));
      assertEquals(part.get("sha256").asText(), sha256(Files.readAllBytes(file)));
      partBytes += part.get("bytes").asLong();
    }
    try (Stream<Path> files = Files.list(out.resolve("shards/train"))) {
      assertEquals(
          List.of("index.tsv", "part-00000.bin", "part-00001.bin"),
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.startsWith("."))
              .sorted()
              .toList());
    }
    assertTrue(partBytes > 0);
    shards.verifyBatches(JavaSparkContext.fromSparkContext(spark.sparkContext()), "train");
    assertDamageIsNamed(out.resolve("shards"), refs);
    JsonNode tokens = m.get("train").get("tokens");
    assertEquals(realTokens, tokens.get("source").asLong() + tokens.get("target").asLong());
    assertEquals(
        (double) realTokens / padded, m.get("train").get("paddingEfficiency").asDouble(), 1e-9);
    assertEquals(64, m.get("bpe").get("sha256").asText().length());
    assertEquals(input, m.get("corpusReport").get("pairs").get("input").asLong());

    // dev set: text in line order + batches
    assertEquals(21, Files.readAllLines(out.resolve("shards/dev/reference.txt")).size());
    assertEquals("1", Files.readAllLines(out.resolve("shards/dev/lines.txt")).get(0));
    assertEquals(21, m.get("dev").get("pairs").get("input").asLong());
    assertTrue(Files.isRegularFile(out.resolve("shards/bpe/vocab.txt")));

    // nothing temporary left behind
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(
          List.of("bpe", "corpus", "shards"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }

    // a second run refuses to overwrite and leaves the output alone
    Run again =
        prepare("--source", src.toString(), "--target", tgt.toString(), "--out", out.toString());
    assertEquals(Cli.EXIT_USER_ERROR, again.exit());
    assertTrue(again.err().contains("error: output exists: " + out.resolve("corpus")), again.err());
    assertTrue(Files.isRegularFile(out.resolve("shards/manifest.json")));
  }

  @Test
  void tokenBudgetBatchesHoldEveryPairWithinTheBudgetAndTheIndexMatches() throws Exception {
    Path src = dir.resolve("in/train.src");
    Path tgt = dir.resolve("in/train.tgt");
    corpus(src, tgt, 300, List.of());
    Path out = dir.resolve("out");
    int budget = 48;
    Run run =
        prepare(
            "--source",
            src.toString(),
            "--target",
            tgt.toString(),
            "--out",
            out.toString(),
            "--set",
            "sparknmt.bpe.vocab-size=320",
            "--set",
            "sparknmt.shard.batch-tokens=" + budget,
            "--set",
            "sparknmt.shard.max-source-length=64",
            "--set",
            "sparknmt.shard.max-target-length=64");
    assertEquals(0, run.exit(), run.err());

    JsonNode m = JSON.readTree(out.resolve("shards/manifest.json").toFile());
    assertEquals(budget, m.get("batchTokens").asInt());
    JsonNode tp = m.get("train").get("pairs");
    long batched = tp.get("batched").asLong();
    assertEquals(0, tp.get("batch-leftover").asLong(), "token batches leave nothing over");
    assertEquals(tp.get("input").asLong(), batched + tp.get("too-long-subwords").asLong());
    long batches = m.get("train").get("batches").asLong();
    List<String> index = Files.readAllLines(out.resolve("shards/train/index.tsv"));
    assertEquals(batches + 1, index.size());
    Map<String, Long> work =
        ShardSet.open(out.resolve("shards").toUri(), spark.sparkContext().hadoopConfiguration())
            .batchWork("train");
    long pairs = 0;
    int maxPairs = 0;
    long over = 0;
    ShardSet shards =
        ShardSet.open(out.resolve("shards").toUri(), spark.sparkContext().hadoopConfiguration());
    List<String> refs = shards.batches("train");
    List<org.nd4j.linalg.dataset.api.MultiDataSet> loaded = shards.loadBatches("train");
    for (int i = 0; i < batches; i++) {
      org.nd4j.linalg.dataset.api.MultiDataSet mds = loaded.get(i);
      long b = mds.getFeatures(0).size(0);
      long s = mds.getFeatures(0).size(1);
      long t = mds.getFeatures(1).size(1);
      if (b * Math.max(s, t) > budget) {
        assertEquals(1, b, "only a pair longer than the budget may exceed it (batch " + i + ")");
        over++;
      }
      pairs += b;
      maxPairs = Math.max(maxPairs, (int) b);
      String[] row = index.get(i + 1).split("\t");
      assertTrue(refs.get(i).endsWith(row[0] + "#" + row[1] + "+" + row[2]), refs.get(i));
      assertEquals(b, Long.parseLong(row[3]));
      assertEquals(s, Long.parseLong(row[4]));
      assertEquals(t, Long.parseLong(row[5]));
      assertEquals(mds.getFeaturesMaskArray(0).sumNumber().longValue(), Long.parseLong(row[6]));
      assertEquals(mds.getLabelsMaskArray(0).sumNumber().longValue(), Long.parseLong(row[7]));
      assertEquals(b * (s + t), work.get(refs.get(i)));
    }
    assertEquals(batched, pairs, "every batched pair is in exactly one batch");
    assertEquals(over, m.get("train").get("overBudgetBatches").asLong());
    assertEquals(maxPairs, m.get("batchSizePerWorker").asInt());
    assertTrue(maxPairs > 1);
  }

  /**
   * Damage in a part file is found before training and named down to the batch: a flipped bit
   * (found by the local file system's .crc checksums, and without them by the batch's SHA-256), a
   * missing part; a manifest of the old one-file-per-batch format is refused, naming its version.
   */
  private void assertDamageIsNamed(Path shardDir, List<String> refs) throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ShardSet shards = ShardSet.open(shardDir.toUri(), sc.hadoopConfiguration());
    int victim = 3;
    org.sparknmt.prep.shard.BatchRef ref = org.sparknmt.prep.shard.BatchRef.parse(refs.get(victim));
    Path part = shardDir.resolve("train").resolve(ref.partName());
    byte[] bytes = Files.readAllBytes(part);
    int at = (int) (ref.offset() + ref.length() / 2);
    bytes[at] ^= 1;
    Files.write(part, bytes);
    Path crc = part.resolveSibling("." + ref.partName() + ".crc");
    byte[] crcBytes = Files.readAllBytes(crc);
    String batch =
        "batch " + victim + " (" + ref.partName() + "#" + ref.offset() + "+" + ref.length() + ")";
    String e = damaged(shards, sc);
    assertTrue(e.startsWith("damaged shards: 1 of 2 part files in "), e);
    assertTrue(e.contains(ref.partName() + ": " + batch + " fails its file system checksum"), e);
    Files.delete(crc);
    e = damaged(shards, sc);
    assertTrue(e.contains(ref.partName() + ": " + batch + " has sha256 "), e);
    String other = ref.partName().equals("part-00000.bin") ? "part-00001.bin" : "part-00000.bin";
    Path aside = shardDir.resolve("aside.bin");
    Files.move(shardDir.resolve("train").resolve(other), aside);
    e = damaged(shards, sc);
    assertTrue(e.startsWith("damaged shards: 2 of 2 part files in "), e);
    assertTrue(e.contains(other + ": missing ("), e);
    Files.move(aside, shardDir.resolve("train").resolve(other));
    bytes[at] ^= 1;
    Files.write(part, bytes);
    Files.write(crc, crcBytes);
    shards.verifyBatches(sc, "train");

    Path manifest = shardDir.resolve("manifest.json");
    String text = Files.readString(manifest);
    Files.delete(shardDir.resolve(".manifest.json.crc")); // edited by hand below
    Files.writeString(manifest, text.replace("sparknmt-shards/2", "sparknmt-shards/1"));
    org.sparknmt.jobs.UserError old =
        org.junit.jupiter.api.Assertions.assertThrows(
            org.sparknmt.jobs.UserError.class,
            () -> ShardSet.open(shardDir.toUri(), sc.hadoopConfiguration()));
    assertTrue(
        old.getMessage()
            .endsWith(
                "manifest.json is a shard manifest of format 'sparknmt-shards/1' (one file per"
                    + " batch, written by an older version); this version reads sparknmt-shards/2"
                    + " (batches packed into part files): prepare the shards again (the shard step"
                    + " with sparknmt.data.overwrite = true)"),
        old.getMessage());
    Files.writeString(manifest, text);
  }

  private static String damaged(ShardSet shards, JavaSparkContext sc) {
    return org.junit.jupiter.api.Assertions.assertThrows(
            org.sparknmt.jobs.UserError.class, () -> shards.verifyBatches(sc, "train"))
        .getMessage();
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void assertUserErrorAndNoOutput(Path out, String expected, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--out");
    all.add(out.toString());
    Run run = prepare(all.toArray(new String[0]));
    assertEquals(Cli.EXIT_USER_ERROR, run.exit(), run.err());
    assertTrue(run.err().contains("error: " + expected), run.err());
    assertFalse(Files.exists(out), "no output directory may be left behind");
  }

  @Test
  void badInputsAreClearErrorsAndLeaveNoOutput() throws Exception {
    Path s = dir.resolve("b/a.src");
    Path t = dir.resolve("b/a.tgt");
    write(s, "one\ntwo\nthree\n");
    write(t, "uno\ndos\n");
    assertUserErrorAndNoOutput(
        dir.resolve("out1"),
        "line counts differ: " + s + " has 3 lines, " + t + " has 2 lines",
        "--source",
        s.toString(),
        "--target",
        t.toString());

    Path bad = dir.resolve("b/bad.src");
    Files.write(bad, "ok\nnot \u00fctf8\n".getBytes(StandardCharsets.ISO_8859_1));
    assertUserErrorAndNoOutput(
        dir.resolve("out2"),
        "file:" + bad + " line 2 is not valid UTF-8",
        "--source",
        bad.toString(),
        "--target",
        t.toString());

    Path empty = dir.resolve("b/empty.src");
    write(empty, "");
    assertUserErrorAndNoOutput(
        dir.resolve("out3"),
        "input is empty",
        "--source",
        empty.toString(),
        "--target",
        empty.toString());

    assertUserErrorAndNoOutput(
        dir.resolve("out4"),
        "input not found: " + dir.resolve("b/missing.src"),
        "--source",
        dir.resolve("b/missing.src").toString(),
        "--target",
        t.toString());

    Path corrupt = dir.resolve("b/corrupt.src.gz");
    write(corrupt.resolveSibling("plain"), "x\n");
    Files.move(corrupt.resolveSibling("plain"), corrupt);
    assertUserErrorAndNoOutput(
        dir.resolve("out5"),
        "cannot read input " + corrupt,
        "--source",
        corrupt.toString(),
        "--target",
        dir.resolve("b/a.tgt").toString());

    assertUserErrorAndNoOutput(dir.resolve("out6"), "no input: give --source", "--tsv", "");
    assertUserErrorAndNoOutput(
        dir.resolve("out7"),
        "configuration key 'sparknmt.data.on-invalid-line' = 'skip'",
        "--source",
        s.toString(),
        "--target",
        t.toString(),
        "--set",
        "sparknmt.data.on-invalid-line=skip");
  }

  @Test
  void invalidLinesCanBeRejectedAndDevTestSplitOff() throws Exception {
    Path src = dir.resolve("r/train.src");
    Path tgt = dir.resolve("r/train.tgt");
    corpus(src, tgt, 120, List.of());
    Files.write(
        src,
        ("bad \u00ff line\n").getBytes(StandardCharsets.ISO_8859_1),
        java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(tgt, "mala línea\n", java.nio.file.StandardOpenOption.APPEND);
    Path out = dir.resolve("rout");
    Run run =
        prepare(
            "--source",
            src.toString(),
            "--target",
            tgt.toString(),
            "--out",
            out.toString(),
            "--steps",
            "corpus",
            "--set",
            "sparknmt.data.on-invalid-line=reject",
            "--set",
            "sparknmt.data.split.dev-size=5",
            "--set",
            "sparknmt.data.split.test-size=3");
    assertEquals(0, run.exit(), run.err());
    JsonNode report = JSON.readTree(out.resolve("corpus/report.json").toFile());
    assertEquals(1, report.get("rejectedBy").get("invalid-utf8").asLong());
    JsonNode pairs = report.get("pairs");
    assertEquals(121, pairs.get("input").asLong());
    assertEquals(
        pairs.get("kept").asLong(),
        pairs.get("train").asLong()
            + pairs.get("splitOffDev").asLong()
            + pairs.get("splitOffTest").asLong());
    assertEquals(5, countLines(out.resolve("corpus/dev"), "part-.*"));
    assertEquals(3, countLines(out.resolve("corpus/test"), "part-.*"));
    String rejects =
        Files.readString(
            Files.list(out.resolve("corpus/rejects"))
                .filter(p -> p.getFileName().toString().startsWith("part-"))
                .findFirst()
                .orElseThrow());
    assertTrue(rejects.contains("\"line\":121,\"reason\":\"invalid-utf8\""), rejects);
    assertFalse(Files.exists(out.resolve("bpe")), "only the corpus step ran");
  }

  /** The corpus step's train and rejects output: every record, in line order. */
  private static List<String> corpusRecords(Path out) throws IOException {
    List<String> all = new ArrayList<>();
    for (String part : List.of("train", "rejects")) {
      try (Stream<Path> files = Files.list(out.resolve("corpus").resolve(part))) {
        for (Path f :
            files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
          all.addAll(Files.readAllLines(f));
        }
      }
    }
    return all;
  }

  /** The corpus step on the TSV parts in {@code parts} into {@code dir/out}, with a part cache. */
  private Run cleanByParts(Path parts, Path cache, String out) {
    return prepare(
        "--tsv",
        parts.toString(),
        "--out",
        dir.resolve(out).toString(),
        "--steps",
        "corpus",
        "--set",
        "sparknmt.data.part-cache=\"" + cache + "\"");
  }

  @Test
  void cleaningByCachedPartsGivesTheSameCorpusAndCleansOnlyNewParts() throws Exception {
    Path parts = Files.createDirectories(dir.resolve("snapshot"));
    Path src = dir.resolve("syn/a.src");
    Path tgt = dir.resolve("syn/a.tgt");
    corpus(src, tgt, 150, List.of());
    List<String> s = Files.readAllLines(src);
    List<String> t = Files.readAllLines(tgt);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    for (int i = 0; i < s.size(); i++) {
      (i < 90 ? first : second).add(s.get(i) + "\t" + t.get(i));
    }
    second.add(first.get(3)); // a duplicate across parts: judged corpus-wide, as in one piece
    second.add("a pair\t"); // empty target: rejected by the per-pair filter
    Files.write(parts.resolve("part-1.tsv"), first, StandardCharsets.UTF_8);
    Files.write(parts.resolve("part-2.tsv"), second, StandardCharsets.UTF_8);
    Path cache = dir.resolve("cache");

    Run whole =
        prepare(
            "--tsv",
            parts.toString(),
            "--out",
            dir.resolve("whole").toString(),
            "--steps",
            "corpus");
    assertEquals(0, whole.exit(), whole.err());
    Run byParts = cleanByParts(parts, cache, "parts1");
    assertEquals(0, byParts.exit(), byParts.err());
    assertEquals(corpusRecords(dir.resolve("whole")), corpusRecords(dir.resolve("parts1")));
    JsonNode cached = JSON.readTree(dir.resolve("parts1/corpus/report.json").toFile());
    assertEquals(2, cached.path("pairs").path("rejected").asLong(), "one duplicate, one empty");
    assertEquals(2, cached.path("inputs").path("partCache").path("cleaned").asInt());

    // a third part, again: two parts come from the cache, one is cleaned
    Files.write(
        parts.resolve("part-3.tsv"),
        List.of("light and water\tluz y agua"),
        StandardCharsets.UTF_8);
    Run grown = cleanByParts(parts, cache, "parts2");
    assertEquals(0, grown.exit(), grown.err());
    JsonNode report = JSON.readTree(dir.resolve("parts2/corpus/report.json").toFile());
    assertEquals(2, report.path("inputs").path("partCache").path("reused").asInt());
    assertEquals(1, report.path("inputs").path("partCache").path("cleaned").asInt());
    assertEquals(first.size() + second.size() + 1, report.path("pairs").path("input").asLong());

    // a fourth part with an invalid line: a clear error, no output, the cache keeps its 3 entries
    Files.write(
        parts.resolve("part-4.tsv"), "bad \u00ff\tline\n".getBytes(StandardCharsets.ISO_8859_1));
    Run bad = cleanByParts(parts, cache, "parts3");
    assertEquals(Cli.EXIT_USER_ERROR, bad.exit(), bad.err());
    assertTrue(bad.err().contains("part-4.tsv line 1 is not valid UTF-8"), bad.err());
    assertFalse(Files.exists(dir.resolve("parts3/corpus")), "no output");
    try (Stream<Path> entries = Files.list(cache)) {
      assertEquals(3, entries.filter(p -> !p.getFileName().toString().startsWith(".")).count());
    }
  }

  /**
   * A write failing inside a step (the disk fills while the shard step writes, on a fault-injecting
   * file system): the job fails with one line naming the cause (exit 2), the steps published before
   * stay as they were, the failed step leaves no output directory, and running the step again
   * completes it.
   */
  @Test
  void aWriteFaultInAStepLeavesTheEarlierStepsIntactAndNoPartialOutput() throws Exception {
    org.sparknmt.jobs.store.FaultyFileSystem.configure(spark.sparkContext().hadoopConfiguration());
    Path src = dir.resolve("in/train.src");
    Path tgt = dir.resolve("in/train.tgt");
    corpus(src, tgt, 200, List.of());
    Path local = dir.resolve("faulty-out");
    String out = org.sparknmt.jobs.store.FaultyFileSystem.uri(local).toString();
    String[] common = {
      "--source",
      src.toString(),
      "--target",
      tgt.toString(),
      "--out",
      out,
      "--set",
      "sparknmt.bpe.vocab-size=320",
      "--set",
      "sparknmt.shard.batch-tokens=0",
      "--set",
      "sparknmt.shard.batch-size-per-worker=8"
    };
    Run first = prepare(with(common, "--steps", "corpus,vocab"));
    assertEquals(0, first.exit(), first.err());
    Map<String, String> before = contents(local);
    try {
      org.sparknmt.jobs.store.FaultyFileSystem.diskFullAfter(2000);
      Run failed = prepare(with(common, "--steps", "shard"));
      assertEquals(Cli.EXIT_USER_ERROR, failed.exit(), failed.err());
      List<String> errors = failed.err().lines().filter(l -> l.startsWith("error: ")).toList();
      assertEquals(1, errors.size(), failed.err());
      assertTrue(errors.get(0).startsWith("error: out of space: "), errors.get(0));
      assertTrue(errors.get(0).contains("No space left on device"), errors.get(0));
    } finally {
      org.sparknmt.jobs.store.FaultyFileSystem.reset();
    }
    assertEquals(before, contents(local), "the corpus and vocab outputs changed");
    assertFalse(
        Files.exists(local.resolve(PreparePipeline.outputDirectory("shard"))),
        "a partial shard output was left");
    Run again = prepare(with(common, "--steps", "shard"));
    assertEquals(0, again.exit(), again.err());
    assertTrue(Files.exists(local.resolve(PreparePipeline.outputDirectory("shard"))));
  }

  private static String[] with(String[] common, String... more) {
    List<String> all = new ArrayList<>(List.of(common));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  /** Every visible file under {@code root} (relative path → content digest). */
  private static Map<String, String> contents(Path root) throws Exception {
    Map<String, String> files = new java.util.TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String rel = root.relativize(p).toString();
        if (!rel.contains("/.") && !rel.startsWith(".")) {
          files.put(rel, sha256(Files.readAllBytes(p)));
        }
      }
    }
    return files;
  }
}
