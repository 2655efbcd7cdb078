package org.sparknmt.prep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.prep.InputError;
import org.sparknmt.prep.clean.Normalizer;
import org.sparknmt.prep.clean.PairFilter;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;
import org.sparknmt.prep.spark.ParallelCorpusReader.InvalidLines;

class ParallelCorpusReaderTest {
  private static JavaSparkContext jsc;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    jsc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("ParallelCorpusReaderTest")
                .set("spark.ui.enabled", "false")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer"));
    // many tiny splits: alignment must not depend on partitioning
    jsc.hadoopConfiguration().setLong("mapreduce.input.fileinputformat.split.maxsize", 500);
  }

  @AfterAll
  static void stop() {
    jsc.close();
  }

  private static String src(int i) {
    return "source " + i + " " + "x".repeat(i % 13);
  }

  private static String tgt(int i) {
    return "ziel " + i + " " + "y".repeat((i * 7) % 29);
  }

  private Path write(String name, List<String> lines) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, lines.stream().map(l -> l + "\n").collect(Collectors.joining()));
    return p;
  }

  private static List<String> lines(int from, int to, boolean source) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(source ? src(i) : tgt(i));
    }
    return out;
  }

  private ParallelCorpusReader reader(InvalidLines policy) {
    return new ParallelCorpusReader(jsc, policy);
  }

  private static List<PairRecord> sorted(ParallelCorpusReader.Corpus c) {
    List<PairRecord> out = new ArrayList<>(c.pairs().collect());
    out.sort(Comparator.comparingLong(PairRecord::line));
    c.release();
    return out;
  }

  /**
   * One gzipped file per side (or one gzipped TSV) is one input split; the pairs are spread over
   * enough partitions that none holds more than {@code PAIRS_PER_PARTITION} of them (cleaning in
   * parallel, a bounded duplicate-filter group per task), and every line comes out once.
   */
  @Test
  void aLargeCorpusInOneCompressedFileIsSpreadOverPartitions() throws Exception {
    int n = (int) (2 * ParallelCorpusReader.PAIRS_PER_PARTITION + 1);
    Path s = dir.resolve("big/train.src.gz");
    Path t = dir.resolve("big/train.tgt.gz");
    Path tsv = dir.resolve("big/train.tsv.gz");
    Files.createDirectories(s.getParent());
    try (OutputStream so = new GZIPOutputStream(Files.newOutputStream(s));
        OutputStream to = new GZIPOutputStream(Files.newOutputStream(t));
        OutputStream tso = new GZIPOutputStream(Files.newOutputStream(tsv))) {
      for (int i = 1; i <= n; i++) {
        so.write(("s" + i + "\n").getBytes(StandardCharsets.UTF_8));
        to.write(("t" + i + "\n").getBytes(StandardCharsets.UTF_8));
        tso.write(("s" + i + "\tt" + i + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    for (ParallelCorpusReader.Corpus c :
        List.of(
            reader(InvalidLines.ERROR).read(s.toString(), t.toString()),
            reader(InvalidLines.ERROR).readTsv(tsv.toString()))) {
      assertEquals(1, c.cached().get(0).getNumPartitions(), "one split per gzipped file");
      assertEquals(3, c.pairs().getNumPartitions());
      List<Long> sizes = c.pairs().glom().map(p -> (long) p.size()).collect();
      assertTrue(
          sizes.stream().allMatch(k -> k <= ParallelCorpusReader.PAIRS_PER_PARTITION), "" + sizes);
      assertEquals(n, c.pairs().filter(p -> p.source().equals("s" + p.line())).count());
      assertEquals(n, c.pairs().map(PairRecord::line).distinct().count());
      c.release();
    }
  }

  @Test
  void pairsByLineNumberAcrossManySmallPartitions() throws Exception {
    int n = 400;
    Path s = write("a/train.src", lines(1, n + 1, true));
    // the target side is gzipped (one partition) while the source has dozens of splits
    Path t = dir.resolve("a/train.tgt.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(t))) {
      for (String l : lines(1, n + 1, false)) {
        out.write((l + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    ParallelCorpusReader.Corpus c = reader(InvalidLines.ERROR).read(s.toString(), t.toString());
    assertEquals(n, c.lines());
    int splits = c.cached().get(0).getNumPartitions();
    assertTrue(splits >= 10, "the test needs many splits, got " + splits);
    List<PairRecord> pairs = sorted(c);
    assertEquals(n, pairs.size());
    for (int i = 1; i <= n; i++) {
      PairRecord p = pairs.get(i - 1);
      assertEquals(i, p.line());
      assertEquals(src(i), p.source());
      assertEquals(tgt(i), p.target());
      assertNull(p.reason());
    }
    assertEquals(List.of((long) n, (long) n), c.fileLines());
  }

  @Test
  void directoryOfPartFilesIsOneCorpusInNameOrder() throws Exception {
    write("d/src/part-00001", lines(4, 8, true));
    write("d/src/part-00000", lines(1, 4, true));
    write("d/src/_SUCCESS", List.of());
    write("d/src/.hidden", List.of("junk"));
    write("d/tgt/part-00000", lines(1, 6, false));
    write("d/tgt/part-00001", lines(6, 8, false));
    ParallelCorpusReader.Corpus c =
        reader(InvalidLines.ERROR)
            .read(dir.resolve("d/src").toString(), dir.resolve("d/tgt").toString());
    List<PairRecord> pairs = sorted(c);
    assertEquals(7, pairs.size());
    for (int i = 1; i <= 7; i++) {
      assertEquals(src(i), pairs.get(i - 1).source());
      assertEquals(tgt(i), pairs.get(i - 1).target());
    }
  }

  @Test
  void crlfAndLoneCarriageReturnsDoNotShiftLines() throws Exception {
    Path s = dir.resolve("crlf.src");
    Files.writeString(s, "one\r\ntwo\rstill two\r\nthree");
    Path t = write("crlf.tgt", List.of("uno", "dos", "tres"));
    List<PairRecord> pairs = sorted(reader(InvalidLines.ERROR).read(s.toString(), t.toString()));
    assertEquals(3, pairs.size());
    assertEquals("two\rstill two", pairs.get(1).source());
    assertEquals("three", pairs.get(2).source());
  }

  @Test
  void mismatchedLineCountsNameBothFilesAndCounts() throws Exception {
    Path s = write("m.src", lines(1, 11, true));
    Path t = write("m.tgt", lines(1, 10, false));
    InputError e =
        assertThrows(
            InputError.class, () -> reader(InvalidLines.ERROR).read(s.toString(), t.toString()));
    assertTrue(e.getMessage().contains(s + " has 10 lines"), e.getMessage());
    assertTrue(e.getMessage().contains(t + " has 9 lines"), e.getMessage());
  }

  @Test
  void invalidUtf8IsAnErrorWithFileAndLine() throws Exception {
    write("u/src/part-0", lines(1, 4, true));
    Path bad = dir.resolve("u/src/part-1");
    Files.write(bad, "fine\nbad \u00ff\n".getBytes(StandardCharsets.ISO_8859_1));
    Path t = write("u/tgt", lines(1, 6, false));
    InputError e =
        assertThrows(
            InputError.class,
            () -> reader(InvalidLines.ERROR).read(dir.resolve("u/src").toString(), t.toString()));
    assertTrue(e.getMessage().contains("part-1 line 2 is not valid UTF-8"), e.getMessage());
  }

  @Test
  void invalidUtf8CanBeRejectedInstead() throws Exception {
    Path s = dir.resolve("r.src");
    Files.write(s, "good\nbad \u00e9\nalso good\n".getBytes(StandardCharsets.ISO_8859_1));
    Path t = write("r.tgt", List.of("bueno", "malo", "también"));
    List<PairRecord> pairs = sorted(reader(InvalidLines.REJECT).read(s.toString(), t.toString()));
    assertEquals(3, pairs.size());
    assertEquals(RejectReason.INVALID_UTF8, pairs.get(1).reason());
    assertEquals("bad \ufffd", pairs.get(1).source());
    assertNull(pairs.get(0).reason());
    assertNull(pairs.get(2).reason());
  }

  @Test
  void textInputIsCheckedLikeACorpusSide() throws Exception {
    Path good = write("text/part-0", List.of("one", "two"));
    Path bad = dir.resolve("text/part-1");
    Files.write(bad, "three\n\u00ff\u00fe binary\nfive\n".getBytes(StandardCharsets.ISO_8859_1));
    String input = good.getParent().toString();
    InputError e = assertThrows(InputError.class, () -> reader(InvalidLines.ERROR).readText(input));
    assertTrue(e.getMessage().contains("part-1 line 2 is not valid UTF-8"), e.getMessage());

    ParallelCorpusReader.TextLines t = reader(InvalidLines.REJECT).readText(input);
    List<String> lines =
        t.lines().sortByKey().values().collect(); // input order, the invalid line left empty
    t.release();
    assertEquals(List.of("one", "two", "three", "", "five"), lines);
    assertEquals(5, t.count());
    assertEquals(1, t.invalid());

    Path empty = write("empty.txt", List.of());
    ParallelCorpusReader.TextLines none = reader(InvalidLines.ERROR).readText(empty.toString());
    assertEquals(0, none.count());
    none.release();
  }

  @Test
  void emptyMissingAndUnreadableInputs() throws Exception {
    Path empty = write("e.src", List.of());
    Path emptyToo = write("e.tgt", List.of());
    InputError e1 =
        assertThrows(
            InputError.class,
            () -> reader(InvalidLines.ERROR).read(empty.toString(), emptyToo.toString()));
    assertTrue(e1.getMessage().startsWith("input is empty"), e1.getMessage());

    String missing = dir.resolve("nope.src").toString();
    InputError e2 =
        assertThrows(
            InputError.class, () -> reader(InvalidLines.ERROR).read(missing, empty.toString()));
    assertEquals("input not found: " + missing, e2.getMessage());

    Files.createDirectories(dir.resolve("nodata"));
    write("nodata/_SUCCESS", List.of());
    InputError e3 =
        assertThrows(
            InputError.class,
            () ->
                reader(InvalidLines.ERROR)
                    .read(dir.resolve("nodata").toString(), empty.toString()));
    assertTrue(e3.getMessage().contains("has no data files"), e3.getMessage());

    Path corrupt = dir.resolve("corrupt.src.gz");
    Files.writeString(corrupt, "this is not gzip data\n");
    Path t = write("c.tgt", List.of("x"));
    InputError e4 =
        assertThrows(
            InputError.class,
            () -> reader(InvalidLines.ERROR).read(corrupt.toString(), t.toString()));
    assertTrue(e4.getMessage().startsWith("cannot read input " + corrupt), e4.getMessage());

    InputError e5 =
        assertThrows(
            InputError.class,
            () -> reader(InvalidLines.ERROR).read("nosuchfs://x/y", t.toString()));
    assertTrue(e5.getMessage().startsWith("cannot read input nosuchfs://x/y"), e5.getMessage());
  }

  @Test
  void tsvInputWithMalformedLines() throws Exception {
    Path tsv = write("c.tsv", List.of("a b\tx y", "no tab here", "p\tq\tr", "c\td"));
    InputError e =
        assertThrows(InputError.class, () -> reader(InvalidLines.ERROR).readTsv(tsv.toString()));
    assertTrue(e.getMessage().contains("c.tsv line 2 is not 'source<TAB>target'"), e.getMessage());
    List<PairRecord> pairs = sorted(reader(InvalidLines.REJECT).readTsv(tsv.toString()));
    assertEquals(PairRecord.kept(1, "a b", "x y"), pairs.get(0));
    assertEquals(RejectReason.MALFORMED_TSV, pairs.get(1).reason());
    assertEquals(RejectReason.MALFORMED_TSV, pairs.get(2).reason());
    assertEquals(PairRecord.kept(4, "c", "d"), pairs.get(3));
  }

  @Test
  void cleanerAccountsForEveryPair() throws Exception {
    Path s =
        write(
            "k.src",
            List.of(
                "Hello  world", // 1 kept (normalised)
                "", // 2 empty
                "a b c d", // 3 ratio vs 1 word
                "Hello world", // 4 duplicate of 1 after normalising
                "same", // 5 identical
                "one two three four five six", // 6 too long (max 5)
                "Hello world")); // 7 duplicate
    Path t =
        write("k.tgt", List.of("Hola mundo", "x", "y", "Hola\tmundo", "same", "u", "Hola mundo"));
    ParallelCorpusReader.Corpus c = reader(InvalidLines.ERROR).read(s.toString(), t.toString());
    List<PairRecord> out =
        CorpusCleaner.clean(
                c.pairs(), Normalizer.standard(), new PairFilter(true, 5, 1.5, 0, true), true)
            .collect();
    c.release();
    Map<Long, RejectReason> reasons = new java.util.HashMap<>();
    out.forEach(r -> reasons.put(r.line(), r.reason()));
    assertEquals(7, out.size());
    assertEquals(7, reasons.size());
    assertNull(reasons.get(1L));
    assertEquals(RejectReason.EMPTY, reasons.get(2L));
    assertEquals(RejectReason.LENGTH_RATIO, reasons.get(3L));
    assertEquals(RejectReason.DUPLICATE, reasons.get(4L));
    assertEquals(RejectReason.IDENTICAL, reasons.get(5L));
    assertEquals(RejectReason.TOO_LONG, reasons.get(6L));
    assertEquals(RejectReason.DUPLICATE, reasons.get(7L));
    PairRecord kept = out.stream().filter(PairRecord::isKept).findFirst().orElseThrow();
    assertEquals(PairRecord.kept(1, "Hello world", "Hola mundo"), kept);
  }
}
