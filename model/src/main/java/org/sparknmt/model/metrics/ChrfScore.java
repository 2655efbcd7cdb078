package org.sparknmt.model.metrics;

/**
 * A chrF score (0–100) with its statistics, as sacreBLEU reports it.
 *
 * @param name {@code chrF2}, or {@code chrF2++} with word n-grams
 * @param score chrF on the 0–100 scale
 * @param stats summed per-order statistics
 * @param precision n-gram precision averaged over the effective orders (0–1)
 * @param recall n-gram recall averaged over the effective orders (0–1)
 * @param signature sacreBLEU's signature, e.g. {@code
 *     nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0}
 */
public record ChrfScore(
    String name, double score, ChrfStats stats, double precision, double recall, String signature) {

  /** sacreBLEU's one-line summary, e.g. {@code chrF2 = 55.12}. */
  public String format() {
    return name + " = " + PyText.fixed(score, 2);
  }

  @Override
  public String toString() {
    return format() + " " + signature;
  }
}
