package org.sparknmt.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BatchCutsTest {
  /** Pair counts per shape for (source length, target length, count) triples. */
  private static TreeMap<Long, Long> shapes(Bucketing bk, int[]... sourceTargetCount) {
    TreeMap<Long, Long> m = new TreeMap<>();
    for (int[] e : sourceTargetCount) {
      m.merge(Bucketing.shapeOf(bk.sortKey(e[0], e[1], 0)), (long) e[2], Long::sum);
    }
    return m;
  }

  @Test
  void pairBatchesStartEveryBatchSize() {
    Bucketing bk = new Bucketing(4, 3);
    BatchCuts c = BatchCuts.of(bk, shapes(bk, new int[] {2, 2, 7}, new int[] {9, 9, 1}));
    assertArrayEquals(new long[] {0, 3, 6}, c.starts());
    assertEquals(8, c.pairs());
    assertEquals(List.of(3L, 3L, 2L), List.of(c.size(0), c.size(1), c.size(2)));
    assertEquals(0, c.overBudget());
  }

  @Test
  void tokenBatchesAreCutGreedilyOnPaddedPositions() {
    Bucketing bk = new Bucketing(4, 32, 20);
    // in sort order: 5 pairs (S 3, T 4), then 3 pairs (S 4, T 10), all in bucket 0
    BatchCuts c = BatchCuts.of(bk, shapes(bk, new int[] {4, 10, 3}, new int[] {3, 4, 5}));
    // 5 x max(3, 4) = 20 fits; a sixth pair would pad to T 10: 6 x 10 > 20; then 2 x 10 = 20
    assertArrayEquals(new long[] {0, 5, 7}, c.starts());
    assertEquals(List.of(5L, 2L, 1L), List.of(c.size(0), c.size(1), c.size(2)));
    assertEquals(0, c.overBudget());
    assertEquals(0, c.batchOf(4));
    assertEquals(1, c.batchOf(5));
    assertEquals(2, c.batchOf(7));
  }

  @Test
  void theBudgetBoundsTheSourceSideToo() {
    Bucketing bk = new Bucketing(1, 32, 20);
    // source 10, target 2: 2 x max(10, 2) = 20 fits, 3 do not
    BatchCuts c = BatchCuts.of(bk, shapes(bk, new int[] {10, 2, 5}));
    assertArrayEquals(new long[] {0, 2, 4}, c.starts());
  }

  @Test
  void aPairLongerThanTheBudgetIsABatchByItself() {
    Bucketing bk = new Bucketing(4, 32, 20);
    BatchCuts c =
        BatchCuts.of(
            bk, shapes(bk, new int[] {2, 2, 3}, new int[] {30, 3, 1}, new int[] {31, 2, 2}));
    // 3 short pairs; the (30, 3) pair alone; each (31, 2) pair alone
    assertArrayEquals(new long[] {0, 3, 4, 5}, c.starts());
    assertEquals(3, c.overBudget());
  }

  @Test
  void everyPairOnceAndEveryBatchWithinTheBudget() {
    Random r = new Random(11);
    Bucketing bk = new Bucketing(4, 32, 256);
    List<int[]> pairs = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      int s = 1 + r.nextInt(120);
      pairs.add(new int[] {s, Math.max(1, s + r.nextInt(21) - 10), 1});
    }
    pairs.add(new int[] {300, 280, 1}); // longer than the budget
    BatchCuts c = BatchCuts.of(bk, shapes(bk, pairs.toArray(new int[0][])));
    assertEquals(pairs.size(), c.pairs());
    // the pairs in sort order, and the batch of each position
    List<int[]> sorted = new ArrayList<>(pairs);
    sorted.sort((a, b) -> Long.compare(bk.sortKey(a[0], a[1], 0), bk.sortKey(b[0], b[1], 0)));
    long[] maxS = new long[c.batches()];
    long[] maxT = new long[c.batches()];
    long[] size = new long[c.batches()];
    int previous = 0;
    for (int pos = 0; pos < sorted.size(); pos++) {
      int b = c.batchOf(pos);
      assertTrue(b == previous || b == previous + 1, "batches are consecutive runs");
      previous = b;
      size[b]++;
      maxS[b] = Math.max(maxS[b], sorted.get(pos)[0]);
      maxT[b] = Math.max(maxT[b], sorted.get(pos)[1]);
    }
    long total = 0;
    int over = 0;
    for (int b = 0; b < c.batches(); b++) {
      assertEquals(c.size(b), size[b]);
      total += size[b];
      long positions = size[b] * Math.max(maxS[b], maxT[b]);
      if (positions > 256) {
        over++;
        assertEquals(1, size[b], "only a single too-long pair may exceed the budget");
      }
    }
    assertEquals(pairs.size(), total);
    assertEquals(1, over);
    assertEquals(1, c.overBudget());
    assertTrue(c.batches() < pairs.size() / 3, "batches hold several pairs: " + c.batches());
  }
}
