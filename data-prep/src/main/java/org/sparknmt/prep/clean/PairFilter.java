package org.sparknmt.prep.clean;

import java.io.Serializable;

/**
 * The per-pair cleaning filters, applied to normalised sentences in this order; the first that
 * fails is the pair's reason. Exact duplicates need the whole corpus and are found separately (the
 * earliest line of a duplicated pair is kept).
 *
 * <p>Lengths are counted in whitespace-separated words, as Moses' {@code clean-corpus-n.perl} does
 * (fairseq's {@code prepare-iwslt14.sh} runs it with {@code -ratio 1.5} and a maximum of 175 words
 * before BPE; {@code prepare-wmt14en2de.sh} uses 250). Defaults live in {@code reference.conf}.
 *
 * @param dropEmpty reject a pair when either side is empty
 * @param maxWords reject a pair when either side has more words; 0 disables
 * @param maxRatio reject a pair when {@code max(words) / min(words) > maxRatio}; 0 disables
 * @param dropIdentical reject a pair whose source equals its target
 */
public record PairFilter(boolean dropEmpty, int maxWords, double maxRatio, boolean dropIdentical)
    implements Serializable {

  public PairFilter {
    if (maxWords < 0) {
      throw new IllegalArgumentException("maxWords must be >= 0, got " + maxWords);
    }
    if (maxRatio != 0 && !(maxRatio >= 1)) {
      throw new IllegalArgumentException("maxRatio must be 0 (off) or >= 1, got " + maxRatio);
    }
  }

  /** The reason to reject the pair, or null to keep it. */
  public RejectReason check(String source, String target) {
    if (source.isEmpty() || target.isEmpty()) {
      // Empty sides are also exempt from the length filters (no ratio for 0 words).
      return dropEmpty ? RejectReason.EMPTY : identical(source, target);
    }
    int s = words(source);
    int t = words(target);
    if (maxWords > 0 && (s > maxWords || t > maxWords)) {
      return RejectReason.TOO_LONG;
    }
    if (maxRatio > 0 && Math.max(s, t) > maxRatio * Math.min(s, t)) {
      return RejectReason.LENGTH_RATIO;
    }
    return identical(source, target);
  }

  private RejectReason identical(String source, String target) {
    return dropIdentical && source.equals(target) ? RejectReason.IDENTICAL : null;
  }

  /** Number of maximal runs of non-space characters (U+0020 separates words after normalising). */
  public static int words(String s) {
    int n = 0;
    boolean in = false;
    for (int i = 0; i < s.length(); i++) {
      boolean space = Character.isWhitespace(s.charAt(i));
      if (!space && !in) {
        n++;
      }
      in = !space;
    }
    return n;
  }
}
