package org.sparknmt.prep.shard;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;

/**
 * Totals and the per-bucket table of a set of batches, for the shard manifest. Padding efficiency =
 * real tokens / padded positions, both sides together (source incl. {@code </s>}, target incl.
 * {@code </s>}; the decoder input has the same positions as the labels).
 */
public record ShardSummary(
    long batches,
    long pairs,
    long sourceTokens,
    long targetTokens,
    long paddedSourcePositions,
    long paddedTargetPositions,
    List<Row> buckets) {

  /** One bucket: its source-length range, batches, pairs, largest padded shape and efficiency. */
  public record Row(
      int bucket,
      int sourceLengthMin,
      int sourceLengthMax,
      long batches,
      long pairs,
      int maxSourceLength,
      int maxTargetLength,
      long realTokens,
      long paddedPositions) {
    public double paddingEfficiency() {
      return paddedPositions == 0 ? 0 : (double) realTokens / paddedPositions;
    }
  }

  public static ShardSummary of(Collection<BatchStats> stats, Bucketing bucketing) {
    long batches = 0;
    long pairs = 0;
    long st = 0;
    long tt = 0;
    long ps = 0;
    long pt = 0;
    TreeMap<Integer, long[]> acc = new TreeMap<>();
    for (BatchStats b : stats) {
      batches++;
      pairs += b.pairs();
      st += b.sourceTokens();
      tt += b.targetTokens();
      ps += (long) b.pairs() * b.sourceLength();
      pt += (long) b.pairs() * b.targetLength();
      long[] a = acc.computeIfAbsent(b.bucket(), k -> new long[6]);
      a[0]++;
      a[1] += b.pairs();
      a[2] = Math.max(a[2], b.sourceLength());
      a[3] = Math.max(a[3], b.targetLength());
      a[4] += b.realTokens();
      a[5] += b.paddedPositions();
    }
    List<Row> rows = new ArrayList<>();
    acc.forEach(
        (k, a) ->
            rows.add(
                new Row(
                    k,
                    bucketing.bucketMin(k),
                    bucketing.bucketMax(k),
                    a[0],
                    a[1],
                    (int) a[2],
                    (int) a[3],
                    a[4],
                    a[5])));
    return new ShardSummary(batches, pairs, st, tt, ps, pt, List.copyOf(rows));
  }

  public double paddingEfficiency() {
    long padded = paddedSourcePositions + paddedTargetPositions;
    return padded == 0 ? 0 : (double) (sourceTokens + targetTokens) / padded;
  }
}
