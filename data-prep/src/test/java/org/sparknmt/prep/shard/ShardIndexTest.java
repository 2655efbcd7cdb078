package org.sparknmt.prep.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardIndexTest {
  private static final String SHA = "ab".repeat(32);

  @Test
  void rowsRoundTripInBatchOrder() {
    List<BatchStats> batches =
        List.of(
            new BatchStats(1, 3, 7, 8, 15, 20).withLocation("part-00000.bin", 0, 900, SHA),
            new BatchStats(0, 2, 4, 5, 6, 7).withLocation("part-00000.bin", 900, 400, SHA),
            new BatchStats(2, 1, 9, 9, 9, 9).withLocation("part-00001.bin", 0, 300, SHA));
    List<ShardIndex.Row> rows = ShardIndex.parse(ShardIndex.format(batches), "index.tsv");
    assertEquals(new ShardIndex.Row("part-00000.bin", 900, 400, 2, 4, 5, 6, 7, SHA), rows.get(1));
    assertEquals(3, rows.size());
    assertEquals(3 * (7 + 8), rows.get(0).work());
  }

  @Test
  void aBatchIndexOfTheOldLayoutOrAMalformedRowIsNamed() {
    String old = "file\tpairs\tsourceLength\ttargetLength\tsourceTokens\ttargetTokens\tsha256\n";
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ShardIndex.parse(old, "x/index.tsv"));
    assertTrue(
        e.getMessage().startsWith("x/index.tsv is not a packed batch index"), e.getMessage());
    String bad = ShardIndex.HEADER + "\npart-00000.bin\t0\tten\t1\t1\t1\t1\t1\t" + SHA + "\n";
    e = assertThrows(IllegalArgumentException.class, () -> ShardIndex.parse(bad, "x/index.tsv"));
    assertTrue(e.getMessage().startsWith("malformed row 2 in x/index.tsv: "), e.getMessage());
  }

  @Test
  void batchReferencesParseBackAndNameTheirPart() {
    BatchRef ref = new BatchRef("hdfs://nn:8020/s/train/part-00003.bin", 1048576, 20480);
    assertEquals("hdfs://nn:8020/s/train/part-00003.bin#1048576+20480", ref.toString());
    assertEquals(ref, BatchRef.parse(ref.toString()));
    assertEquals("part-00003.bin", ref.partName());
    assertThrows(IllegalArgumentException.class, () -> BatchRef.parse("/s/batch-00000001.bin"));
    assertThrows(IllegalArgumentException.class, () -> BatchRef.parse("/s/part.bin#x+1"));
    assertThrows(IllegalArgumentException.class, () -> BatchRef.parse("/s/part.bin#0+0"));
  }
}
