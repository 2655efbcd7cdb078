package org.sparknmt.model.metrics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * BLEU's sufficient statistics for a set of segments: hypothesis length, (closest) reference
 * length, and per n-gram order the clipped matches and the hypothesis n-gram count. Corpus BLEU is
 * a function of their sums, so statistics of partitions can be computed apart and added (e.g. one
 * per Spark partition) before {@link Bleu#score(BleuStats, int)}.
 */
public final class BleuStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long sysLen;
  private final long refLen;
  private final long[] correct;
  private final long[] total;

  public BleuStats(long sysLen, long refLen, long[] correct, long[] total) {
    if (correct.length != total.length) {
      throw new IllegalArgumentException("correct and total differ in length");
    }
    this.sysLen = sysLen;
    this.refLen = refLen;
    this.correct = correct.clone();
    this.total = total.clone();
  }

  /** Statistics of no segment. */
  public static BleuStats zero(int maxOrder) {
    return new BleuStats(0, 0, new long[maxOrder], new long[maxOrder]);
  }

  public BleuStats plus(BleuStats o) {
    if (o.correct.length != correct.length) {
      throw new IllegalArgumentException("different max n-gram orders");
    }
    long[] c = correct.clone();
    long[] t = total.clone();
    for (int i = 0; i < c.length; i++) {
      c[i] += o.correct[i];
      t[i] += o.total[i];
    }
    return new BleuStats(sysLen + o.sysLen, refLen + o.refLen, c, t);
  }

  public long sysLen() {
    return sysLen;
  }

  public long refLen() {
    return refLen;
  }

  /** Clipped n-gram matches, index 0 = unigrams. */
  public long[] correct() {
    return correct.clone();
  }

  /** Hypothesis n-grams, index 0 = unigrams. */
  public long[] total() {
    return total.clone();
  }

  public int maxOrder() {
    return correct.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BleuStats s
        && s.sysLen == sysLen
        && s.refLen == refLen
        && Arrays.equals(s.correct, correct)
        && Arrays.equals(s.total, total);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(sysLen) * 31
        + Long.hashCode(refLen)
        + 17 * Arrays.hashCode(correct)
        + Arrays.hashCode(total);
  }

  @Override
  public String toString() {
    return "BleuStats[sysLen="
        + sysLen
        + ", refLen="
        + refLen
        + ", correct="
        + Arrays.toString(correct)
        + ", total="
        + Arrays.toString(total)
        + "]";
  }
}
