package org.sparknmt.prep.shard;

import java.io.Serializable;
import java.util.List;

/**
 * What one written batch holds: its bucket, pair count, padded shape (S, T) and real token counts
 * (pieces + one special token per side). A plain class, not a record: Spark's Kryo 4 cannot
 * serialize records.
 */
public final class BatchStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private int bucket;
  private int pairs;
  private int sourceLength;
  private int targetLength;
  private long sourceTokens;
  private long targetTokens;
  private String part = "";
  private long offset;
  private long length;
  private String sha256 = "";

  public BatchStats(
      int bucket,
      int pairs,
      int sourceLength,
      int targetLength,
      long sourceTokens,
      long targetTokens) {
    this.bucket = bucket;
    this.pairs = pairs;
    this.sourceLength = sourceLength;
    this.targetLength = targetLength;
    this.sourceTokens = sourceTokens;
    this.targetTokens = targetTokens;
  }

  /** Stats of the batch {@link BatchBuilder#build} makes from {@code pairs}. */
  public static BatchStats of(List<EncodedPair> pairs, Bucketing bucketing) {
    int s = 0;
    int t = 0;
    long st = 0;
    long tt = 0;
    for (EncodedPair p : pairs) {
      s = Math.max(s, p.sourceLength());
      t = Math.max(t, p.targetLength());
      st += p.sourceLength();
      tt += p.targetLength();
    }
    return new BatchStats(bucketing.bucket(s), pairs.size(), s, t, st, tt);
  }

  /**
   * These stats with where the batch was written: its part file (name), the offset and length of
   * its bytes there, and their SHA-256 (hex).
   */
  public BatchStats withLocation(String part, long offset, long length, String sha256) {
    BatchStats b =
        new BatchStats(bucket, pairs, sourceLength, targetLength, sourceTokens, targetTokens);
    b.part = part;
    b.offset = offset;
    b.length = length;
    b.sha256 = sha256;
    return b;
  }

  /** Name of the part file holding the batch, "" if not written yet. */
  public String part() {
    return part;
  }

  /** Offset of the batch's bytes in its part file. */
  public long offset() {
    return offset;
  }

  /** Length of the batch's bytes ({@code MultiDataSet.save}) in its part file. */
  public long length() {
    return length;
  }

  /** SHA-256 (hex) of the batch's bytes as written, "" if not written yet. */
  public String sha256() {
    return sha256;
  }

  /** Bucket of the batch (the bucket of its longest source). */
  public int bucket() {
    return bucket;
  }

  public int pairs() {
    return pairs;
  }

  /** Padded source length S. */
  public int sourceLength() {
    return sourceLength;
  }

  /** Padded target length T. */
  public int targetLength() {
    return targetLength;
  }

  public long sourceTokens() {
    return sourceTokens;
  }

  public long targetTokens() {
    return targetTokens;
  }

  /** Padded positions: {@code pairs * (S + T)}. */
  public long paddedPositions() {
    return (long) pairs * (sourceLength + targetLength);
  }

  /** Real tokens of both sides. */
  public long realTokens() {
    return sourceTokens + targetTokens;
  }
}
