package org.sparknmt.model;

/**
 * Settings of {@link Translator#translate}: beam size (1 = greedy), the GNMT length penalty α, the
 * output length limit a·|x| + b as in fairseq ({@code --max-len-a}, {@code --max-len-b}; |x| counts
 * the source tokens with {@code </s>}; capped by the model's maximum length) and fairseq's {@code
 * --no-repeat-ngram-size} (0 = off).
 */
public record SearchOptions(
    int beamSize, double lengthPenalty, double maxLenA, int maxLenB, int noRepeatNgramSize) {

  public SearchOptions {
    if (beamSize < 1) {
      throw new IllegalArgumentException("beam size must be >= 1, got " + beamSize);
    }
    if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
      throw new IllegalArgumentException("length penalty must be >= 0, got " + lengthPenalty);
    }
    if (!(maxLenA >= 0) || Double.isInfinite(maxLenA) || maxLenB < 0) {
      throw new IllegalArgumentException(
          "max-len-a must be >= 0 and max-len-b >= 0, got " + maxLenA + " and " + maxLenB);
    }
    if (maxLenA == 0 && maxLenB == 0) {
      throw new IllegalArgumentException("max-len-a and max-len-b are both 0: no output allowed");
    }
    if (noRepeatNgramSize < 0) {
      throw new IllegalArgumentException(
          "no-repeat-ngram-size must be >= 0 (0 = off), got " + noRepeatNgramSize);
    }
  }

  /**
   * Output tokens allowed (without {@code </s>}) for a source of {@code sourceLength} tokens: ⌊a ·
   * sourceLength + b⌋ (fairseq's int()), at least 1, at most {@code cap}.
   */
  public int maxLength(int sourceLength, int cap) {
    return (int) Math.max(1, Math.min(cap, Math.floor(maxLenA * sourceLength + maxLenB)));
  }
}
