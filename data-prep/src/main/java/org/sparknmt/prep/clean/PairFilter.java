package org.sparknmt.prep.clean;

import java.io.Serializable;

/**
 * The per-pair cleaning filters, applied to normalised sentences in this order; the first that
 * fails is the pair's reason. Exact duplicates need the whole corpus and are found separately (the
 * earliest line of a duplicated pair is kept).
 *
 * <p>Lengths are counted in whitespace-separated words, as Moses' {@code clean-corpus-n.perl} does
 * (fairseq's {@code prepare-wmt14en2de.sh} uses a maximum of 250 words before BPE).
 *
 * <p>The length-ratio rule: a pair is rejected when its longer side has more than {@code
 * ratioMinWords} words <em>and</em> more than {@code maxRatio} times the words of its shorter side.
 * Short pairs are never judged by their ratio: word counts of a few words say little ("Memory
 * buffer error" → "Error de buffer de memoria" is 3 vs 5 words, a correct translation), while a
 * long side against a short one ("Warning" against a 40-word paragraph) is still caught. Moses'
 * {@code clean-corpus-n.perl} uses a ratio of 9 at every length, fairseq's {@code
 * prepare-iwslt14.sh} 1.5 at every length ({@code ratioMinWords = 0}). Defaults live in {@code
 * reference.conf}.
 *
 * @param dropEmpty reject a pair when either side is empty
 * @param maxWords reject a pair when either side has more words; 0 disables
 * @param maxRatio reject a pair when {@code max(words) / min(words) > maxRatio} (and the longer
 *     side is longer than {@code ratioMinWords}); 0 disables
 * @param ratioMinWords the ratio is applied only when the longer side has more words than this
 * @param dropIdentical reject a pair whose source equals its target
 */
public record PairFilter(
    boolean dropEmpty, int maxWords, double maxRatio, int ratioMinWords, boolean dropIdentical)
    implements Serializable {

  public PairFilter {
    if (maxWords < 0) {
      throw new IllegalArgumentException("maxWords must be >= 0, got " + maxWords);
    }
    if (maxRatio != 0 && !(maxRatio >= 1)) {
      throw new IllegalArgumentException("maxRatio must be 0 (off) or >= 1, got " + maxRatio);
    }
    if (ratioMinWords < 0) {
      throw new IllegalArgumentException("ratioMinWords must be >= 0, got " + ratioMinWords);
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
    int longer = Math.max(s, t);
    if (maxRatio > 0 && longer > ratioMinWords && longer > maxRatio * Math.min(s, t)) {
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
