package org.sparknmt.prep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.sparknmt.prep.shard.BatchBuilder;
import org.sparknmt.prep.shard.BatchRef;
import org.sparknmt.prep.shard.BatchStats;
import org.sparknmt.prep.shard.Bucketing;
import org.sparknmt.prep.shard.EncodedPair;
import org.sparknmt.prep.shard.PartStats;

class ShardWriterTest {
  private static JavaSparkContext jsc;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    jsc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("ShardWriterTest")
                .set("spark.ui.enabled", "false")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer"));
  }

  @AfterAll
  static void stop() {
    jsc.close();
  }

  /** 1003 pairs with source lengths 1..60 and targets about as long, ids encode the line. */
  private static List<EncodedPair> corpus() {
    Random r = new Random(7);
    List<EncodedPair> out = new ArrayList<>();
    for (int line = 1; line <= 1003; line++) {
      int s = 1 + r.nextInt(60);
      int t = Math.max(1, s + r.nextInt(9) - 4);
      int[] src = new int[s];
      int[] tgt = new int[t];
      java.util.Arrays.fill(src, 1000 + line);
      java.util.Arrays.fill(tgt, 5000 + line);
      out.add(new EncodedPair(line, src, tgt));
    }
    return out;
  }

  @Test
  void exactBatchesPaddedToTheirOwnBucketWithSeededLeftovers() throws Exception {
    List<EncodedPair> pairs = corpus();
    JavaRDD<EncodedPair> rdd = jsc.parallelize(pairs, 7);
    Bucketing bk = new Bucketing(4, 16);
    Set<Long> dropped = ShardWriter.leftoverLines(rdd, pairs.size(), 16, 42L);
    assertEquals(1003 % 16, dropped.size());
    assertEquals(dropped, ShardWriter.leftoverLines(rdd, pairs.size(), 16, 42L));
    JavaRDD<EncodedPair> kept = rdd.filter(p -> !dropped.contains(p.line()));
    long n = pairs.size() - dropped.size();
    String out = dir.resolve("train").toString();
    ShardWriter.Written written = ShardWriter.write(jsc, kept, n, bk, 42L, out, 4, 1 << 30);
    List<BatchStats> stats = written.batches();
    assertEquals(n / 16, stats.size());
    assertEquals(2, written.parts().size(), "one part per writer (local[2]) when they fit");
    assertPacked(out, written);

    Set<Long> seen = new HashSet<>();
    long real = 0;
    long padded = 0;
    for (int i = 0; i < stats.size(); i++) {
      MultiDataSet m = load(out, stats.get(i));
      INDArray src = m.getFeatures(0);
      INDArray srcMask = m.getFeaturesMaskArray(0);
      INDArray tgtMask = m.getLabelsMaskArray(0);
      assertEquals(16, src.size(0), "every batch holds exactly batchSize pairs");
      BatchStats s = stats.get(i);
      assertEquals(s.sourceLength(), src.size(1));
      assertEquals(s.targetLength(), m.getFeatures(1).size(1));
      // padded only to its own longest pair: some row uses the last position on each side
      assertEquals(1.0, srcMask.getColumn(src.size(1) - 1).maxNumber().doubleValue());
      assertEquals(1.0, tgtMask.getColumn(tgtMask.size(1) - 1).maxNumber().doubleValue());
      // all sources of a batch lie in at most two adjacent buckets
      int minLen = srcMask.sum(1).minNumber().intValue();
      assertTrue(bk.bucket(s.sourceLength()) - bk.bucket(minLen) <= 1, "batch " + i);
      for (int row = 0; row < 16; row++) {
        long line = (long) src.getFloat(row, 0) - 1000;
        assertTrue(seen.add(line), "line " + line + " written twice");
        assertEquals(5000 + line, (long) m.getLabels(0).getFloat(row, 0, 0));
      }
      real += s.realTokens();
      padded += s.paddedPositions();
    }
    assertEquals(n, seen.size());
    for (long d : dropped) {
      assertTrue(!seen.contains(d));
    }
    assertTrue((double) real / padded > 0.85, "padding efficiency " + (double) real / padded);

    // deterministic: a second run gives byte-identical batches, whatever the input partitions
    // and the number of part files
    String again = dir.resolve("again").toString();
    ShardWriter.Written twice =
        ShardWriter.write(jsc, kept.repartition(3), n, bk, 42L, again, 2, 1 << 30);
    assertEquals(2, twice.parts().size());
    for (int i = 0; i < stats.size(); i++) {
      assertArrayEquals(
          bytes(out, stats.get(i)), bytes(again, twice.batches().get(i)), "batch " + i);
    }
  }

  @Test
  void partsStayWithinTheirSizeLimitAndHoldTheBatchesInOrder() throws Exception {
    List<EncodedPair> pairs = corpus();
    Bucketing bk = new Bucketing(4, 16, 150);
    String out = dir.resolve("small-parts").toString();
    long limit = 64 * 1024;
    ShardWriter.Written written =
        ShardWriter.write(jsc, jsc.parallelize(pairs, 5), pairs.size(), bk, 42L, out, 2, limit);
    long total = written.parts().stream().mapToLong(PartStats::bytes).sum();
    assertTrue(total > 4 * limit, "the test needs several parts: " + total + " bytes");
    assertTrue(written.parts().size() <= total / limit + 3, "few parts: " + written.parts().size());
    for (PartStats p : written.parts()) {
      assertTrue(p.bytes() <= limit, p.name() + " has " + p.bytes() + " bytes");
      assertEquals(p.bytes(), new File(out, p.name()).length());
    }
    assertPacked(out, written);
    // the same batches as one large part each per writer
    String large = dir.resolve("large-parts").toString();
    ShardWriter.Written one =
        ShardWriter.write(jsc, jsc.parallelize(pairs, 5), pairs.size(), bk, 42L, large, 2, 1 << 30);
    assertEquals(written.batches().size(), one.batches().size());
    for (int i = 0; i < one.batches().size(); i++) {
      assertArrayEquals(bytes(large, one.batches().get(i)), bytes(out, written.batches().get(i)));
    }
  }

  /**
   * The parts lie back to back in batch order: each batch starts where the one before it in its
   * part ended, its bytes match its SHA-256 and length, and each part's SHA-256 is its file's.
   */
  private static void assertPacked(String out, ShardWriter.Written written) throws Exception {
    int number = 0;
    for (PartStats p : written.parts()) {
      assertEquals(number, p.firstBatch());
      long offset = 0;
      for (BatchStats b : p.batches()) {
        assertEquals(b, written.batches().get(number++));
        assertEquals(p.name(), b.part());
        assertEquals(offset, b.offset());
        byte[] bytes = bytes(out, b);
        assertEquals(b.sha256(), sha256(bytes));
        assertEquals(
            BatchBuilder.serializedBytes(b.pairs(), b.sourceLength(), b.targetLength()),
            b.length());
        offset += b.length();
      }
      assertEquals(offset, p.bytes());
      assertEquals(p.sha256(), sha256(Files.readAllBytes(Path.of(out, p.name()))));
    }
    assertEquals(written.batches().size(), number);
  }

  private static BatchRef ref(String out, BatchStats b) {
    return new BatchRef(new File(out, b.part()).toURI().toString(), b.offset(), b.length());
  }

  private static byte[] bytes(String out, BatchStats b) throws Exception {
    try (PackedBatchReader reader = new PackedBatchReader(jsc.hadoopConfiguration())) {
      return reader.read(ref(out, b));
    }
  }

  private static MultiDataSet load(String out, BatchStats b) throws Exception {
    try (PackedBatchReader reader = new PackedBatchReader(jsc.hadoopConfiguration())) {
      return reader.load(ref(out, b));
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void evaluationSetsKeepAPartialLastBatchInLengthOrder() throws Exception {
    List<EncodedPair> pairs = corpus().subList(0, 50);
    String out = dir.resolve("dev").toString();
    List<BatchStats> stats =
        ShardWriter.write(
                jsc, jsc.parallelize(pairs, 3), 50, new Bucketing(4, 16), null, out, 2, 1 << 30)
            .batches();
    assertEquals(4, stats.size());
    assertEquals(List.of(16, 16, 16, 2), stats.stream().map(BatchStats::pairs).toList());
    for (int i = 1; i < 4; i++) {
      assertTrue(stats.get(i - 1).bucket() <= stats.get(i).bucket());
    }
  }

  @Test
  void tokenBatchesHoldEveryPairOnceWithinTheBudget() throws Exception {
    List<EncodedPair> pairs = new ArrayList<>(corpus());
    int[] longSource = new int[200];
    java.util.Arrays.fill(longSource, 1000 + 1004);
    pairs.add(new EncodedPair(1004, longSource, new int[] {5000 + 1004}));
    Bucketing bk = new Bucketing(4, 16, 150);
    String out = dir.resolve("tokens").toString();
    List<BatchStats> stats =
        ShardWriter.write(jsc, jsc.parallelize(pairs, 5), pairs.size(), bk, 42L, out, 3, 1 << 30)
            .batches();

    Set<Long> seen = new HashSet<>();
    int alone = 0;
    Set<Integer> sizes = new HashSet<>();
    for (int i = 0; i < stats.size(); i++) {
      MultiDataSet m = load(out, stats.get(i));
      INDArray src = m.getFeatures(0);
      BatchStats s = stats.get(i);
      int b = (int) src.size(0);
      assertEquals(s.pairs(), b);
      assertEquals(s.sourceLength(), src.size(1));
      assertEquals(s.targetLength(), m.getFeatures(1).size(1));
      long positions = (long) b * Math.max(src.size(1), m.getFeatures(1).size(1));
      if (positions > 150) {
        assertEquals(1, b, "batch " + i + " exceeds the budget");
        assertEquals(201, src.size(1));
        alone++;
      }
      sizes.add(b);
      for (int row = 0; row < b; row++) {
        long line = (long) src.getFloat(row, 0) - 1000;
        assertTrue(seen.add(line), "line " + line + " written twice");
        assertEquals(5000 + line, (long) m.getLabels(0).getFloat(row, 0, 0));
      }
    }
    assertEquals(pairs.size(), seen.size(), "every pair is written, none left over");
    assertEquals(1, alone);
    assertTrue(sizes.size() > 5, "batch sizes vary with length: " + sizes);
    assertTrue(sizes.stream().anyMatch(n -> n > 16), "short pairs fill large batches: " + sizes);
  }
}
