package org.sparknmt.model.metrics;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A BLEU score (0–100) with its components, as sacreBLEU reports them.
 *
 * @param score BLEU on the 0–100 scale
 * @param counts clipped n-gram matches per order (index 0 = unigrams)
 * @param totals hypothesis n-grams per order
 * @param precisions (smoothed) n-gram precisions in percent
 * @param bp brevity penalty
 * @param sysLen hypothesis length in tokens
 * @param refLen reference length in tokens (closest reference per segment)
 * @param signature sacreBLEU's signature, e.g. {@code
 *     nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0}
 */
public record BleuScore(
    double score,
    long[] counts,
    long[] totals,
    double[] precisions,
    double bp,
    long sysLen,
    long refLen,
    String signature) {

  public BleuScore {
    counts = counts.clone();
    totals = totals.clone();
    precisions = precisions.clone();
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  @Override
  public long[] totals() {
    return totals.clone();
  }

  @Override
  public double[] precisions() {
    return precisions.clone();
  }

  /** Hypothesis length / reference length (0 when there is no reference token). */
  public double ratio() {
    return refLen == 0 ? 0 : (double) sysLen / refLen;
  }

  /**
   * sacreBLEU's one-line summary, e.g. {@code BLEU = 27.30 60.1/33.4/20.5/12.9 (BP = 1.000 ratio =
   * 1.008 hyp_len = 1234 ref_len = 1224)}.
   */
  public String format() {
    String p =
        Arrays.stream(precisions)
            .mapToObj(x -> PyText.fixed(x, 1))
            .collect(Collectors.joining("/"));
    return "BLEU = "
        + PyText.fixed(score, 2)
        + " "
        + p
        + " (BP = "
        + PyText.fixed(bp, 3)
        + " ratio = "
        + PyText.fixed(ratio(), 3)
        + " hyp_len = "
        + sysLen
        + " ref_len = "
        + refLen
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BleuScore s
        && Double.compare(s.score, score) == 0
        && Arrays.equals(s.counts, counts)
        && Arrays.equals(s.totals, totals)
        && Arrays.equals(s.precisions, precisions)
        && Double.compare(s.bp, bp) == 0
        && s.sysLen == sysLen
        && s.refLen == refLen
        && s.signature.equals(signature);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(score) * 31 + signature.hashCode();
  }

  @Override
  public String toString() {
    return format() + " " + signature;
  }
}
