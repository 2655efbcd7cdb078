package org.sparknmt.prep.shard;

import java.io.Serializable;

/**
 * How pairs are grouped into batches with little padding: either batches of exactly {@code
 * batchSize} pairs, or (when {@code batchTokens > 0}) batches cut to a token budget, like fairseq's
 * {@code --max-tokens}.
 *
 * <p>Bucket {@code i} holds the pairs whose source length (with {@code </s>}) is in {@code [i*w+1,
 * (i+1)*w]}, {@code w} = {@link #width}. All pairs are ordered by (bucket, target length, source
 * length, line) — see {@link #sortKey} — and cut into consecutive runs ({@link BatchCuts}): a batch
 * therefore holds pairs of one bucket with nearly equal target lengths, and the pairs left at the
 * end of a bucket are completed with the shortest pairs of the next bucket (the batch counts in the
 * later bucket; it is still padded only to its own longest pair).
 *
 * <p>Pair batches: before cutting, the {@code N mod batchSize} pairs with the smallest {@link
 * #leftoverRank} are dropped, counted and written to the rejects (reason {@code batch-leftover}): a
 * seeded random choice, so that no length range is systematically lost. Token batches drop nothing:
 * every batch holds as many pairs as fit the budget. Batch order is then shuffled with the seed.
 *
 * @param width bucket width in source tokens (1 = one bucket per source length)
 * @param batchSize pairs per batch ({@code batchSizePerWorker} of the trainer); used when {@code
 *     batchTokens} is 0
 * @param batchTokens token budget of a batch, padding included: {@code pairs × max(S, T) <=
 *     batchTokens} (S, T = the batch's padded source and target length); 0 = batches of {@code
 *     batchSize} pairs
 */
public record Bucketing(int width, int batchSize, int batchTokens) implements Serializable {
  /** Largest length the sort key can hold (10 bits). */
  public static final int MAX_LENGTH = 1023;

  private static final long LINE_BITS = 34;

  public Bucketing {
    if (width < 1 || width > MAX_LENGTH) {
      throw new IllegalArgumentException("bucket width must be 1.." + MAX_LENGTH + ": " + width);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
    }
    if (batchTokens < 0) {
      throw new IllegalArgumentException("batch tokens must be >= 0: " + batchTokens);
    }
  }

  /** Batches of exactly {@code batchSize} pairs. */
  public Bucketing(int width, int batchSize) {
    this(width, batchSize, 0);
  }

  /** Whether batches are cut to a token budget ({@code batchTokens > 0}) rather than a count. */
  public boolean byTokens() {
    return batchTokens > 0;
  }

  /** The bucket of a source length (>= 1). */
  public int bucket(int sourceLength) {
    return (sourceLength - 1) / width;
  }

  /** Smallest source length of bucket {@code b}. */
  public int bucketMin(int b) {
    return b * width + 1;
  }

  /** Largest source length of bucket {@code b}. */
  public int bucketMax(int b) {
    return (b + 1) * width;
  }

  /**
   * One {@code long} that orders pairs by (bucket, target length, source length, line): 10 bits
   * each for the first three, 34 bits for the line number.
   */
  public long sortKey(int sourceLength, int targetLength, long line) {
    if (sourceLength < 1 || sourceLength > MAX_LENGTH || targetLength < 1) {
      throw new IllegalArgumentException("length out of range: " + sourceLength);
    }
    if (targetLength > MAX_LENGTH || line < 0 || line >= (1L << LINE_BITS)) {
      throw new IllegalArgumentException("target length or line out of range: " + line);
    }
    long key = bucket(sourceLength);
    key = (key << 10) | targetLength;
    key = (key << 10) | sourceLength;
    return (key << LINE_BITS) | line;
  }

  /**
   * The (bucket, target length, source length) part of a {@link #sortKey}: equal for pairs of one
   * padded shape, and ordered like the sort keys.
   */
  public static long shapeOf(long sortKey) {
    return sortKey >>> LINE_BITS;
  }

  /** The source length stored in a {@link #shapeOf shape}. */
  public static int sourceLengthOf(long shape) {
    return (int) (shape & MAX_LENGTH);
  }

  /** The target length stored in a {@link #shapeOf shape}. */
  public static int targetLengthOf(long shape) {
    return (int) ((shape >>> 10) & MAX_LENGTH);
  }

  /** The line number stored in a {@link #sortKey}. */
  public static long lineOf(long sortKey) {
    return sortKey & ((1L << LINE_BITS) - 1);
  }

  /** A seeded pseudo-random rank of a line (SplitMix64): leftovers are the smallest ranks. */
  public static long leftoverRank(long seed, long line) {
    long z = seed * 0x9E3779B97F4A7C15L + line + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A seeded permutation of {@code 0..n-1} (Fisher–Yates): batch {@code i} goes to file p[i]. */
  public static int[] shuffle(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }
}
