package org.sparknmt.model.metrics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * chrF's sufficient statistics summed over segments: for every order (character orders first, then
 * word orders) the hypothesis n-gram count, the reference n-gram count and the clipped matches,
 * flattened as {@code [hyp_1, ref_1, match_1, hyp_2, ...]} like sacreBLEU. Additive, so partitions
 * can be scored apart and summed before {@link Chrf#score(ChrfStats, int)}.
 */
public final class ChrfStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] values;

  public ChrfStats(long[] values) {
    if (values.length % 3 != 0) {
      throw new IllegalArgumentException("chrF statistics come in triples, got " + values.length);
    }
    this.values = values.clone();
  }

  public static ChrfStats zero(int orders) {
    return new ChrfStats(new long[3 * orders]);
  }

  public ChrfStats plus(ChrfStats o) {
    if (o.values.length != values.length) {
      throw new IllegalArgumentException("different numbers of orders");
    }
    long[] s = values.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] += o.values[i];
    }
    return new ChrfStats(s);
  }

  /** The flattened triples {@code [hyp, ref, match]} per order. */
  public long[] values() {
    return values.clone();
  }

  public int orders() {
    return values.length / 3;
  }

  long get(int i) {
    return values[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChrfStats s && Arrays.equals(s.values, values);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "ChrfStats" + Arrays.toString(values);
  }
}
