package org.sparknmt.prep.shard;

import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;

/**
 * Where the batches start in the sorted order of the pairs ({@link Bucketing#sortKey}), computed on
 * the driver from the number of pairs of each padded shape; an executor finds a pair's batch from
 * its position alone ({@link #batchOf}).
 *
 * <p>Pair batches start every {@code batchSize} positions. Token batches are cut greedily, as
 * fairseq's {@code batch_by_size} does for {@code --max-tokens}: the next pair joins the current
 * batch if {@code (pairs + 1) × max(S', T') <= batchTokens}, where S', T' are the batch's padded
 * source and target lengths with that pair; otherwise it starts a new batch. The budget thus counts
 * padding, and bounds the source side as well as the target side. A pair longer than the budget on
 * its own ({@code max(S, T) > batchTokens}) forms a batch by itself (counted by {@link
 * #overBudget}); nothing is dropped.
 *
 * @param starts the first position of each batch, ascending, {@code starts[0] = 0}
 * @param pairs the number of pairs (one past the last position)
 * @param overBudget batches above the token budget (single pairs longer than it); 0 for pair
 *     batches
 */
public record BatchCuts(long[] starts, long pairs, int overBudget) {

  /**
   * The cuts of {@code shapes}: pair count per {@link Bucketing#shapeOf shape}, in shape order
   * (which is the pairs' sort order).
   */
  public static BatchCuts of(Bucketing bucketing, SortedMap<Long, Long> shapes) {
    long n = 0;
    for (long c : shapes.values()) {
      n += c;
    }
    if (!bucketing.byTokens()) {
      int b = bucketing.batchSize();
      long[] starts = new long[Math.toIntExact((n + b - 1) / b)];
      for (int i = 0; i < starts.length; i++) {
        starts[i] = (long) i * b;
      }
      return new BatchCuts(starts, n, 0);
    }
    long budget = bucketing.batchTokens();
    long[] starts = new long[16];
    int batches = 0;
    int overBudget = 0;
    long position = 0;
    long inBatch = 0;
    int maxS = 0;
    int maxT = 0;
    for (Map.Entry<Long, Long> e : shapes.entrySet()) {
      int s = Bucketing.sourceLengthOf(e.getKey());
      int t = Bucketing.targetLengthOf(e.getKey());
      for (long k = 0; k < e.getValue(); k++, position++) {
        int s2 = Math.max(maxS, s);
        int t2 = Math.max(maxT, t);
        if (inBatch == 0 || (inBatch + 1) * Math.max(s2, t2) > budget) {
          if (batches == starts.length) {
            starts = Arrays.copyOf(starts, batches * 2);
          }
          starts[batches++] = position;
          inBatch = 0;
          s2 = s;
          t2 = t;
          if (Math.max(s, t) > budget) {
            overBudget++;
          }
        }
        inBatch++;
        maxS = s2;
        maxT = t2;
      }
    }
    return new BatchCuts(Arrays.copyOf(starts, batches), n, overBudget);
  }

  /** Number of batches. */
  public int batches() {
    return starts.length;
  }

  /** Pairs in batch {@code i}. */
  public long size(int i) {
    return (i + 1 < starts.length ? starts[i + 1] : pairs) - starts[i];
  }

  /** The batch holding the pair at {@code position} of the sorted order. */
  public int batchOf(long position) {
    return batchOf(starts, position);
  }

  /**
   * The batch holding the pair at {@code position}, given the {@link #starts} (what executors get:
   * Spark's Kryo 4 cannot serialize records).
   */
  public static int batchOf(long[] starts, long position) {
    int i = Arrays.binarySearch(starts, position);
    return i >= 0 ? i : -i - 2;
  }
}
