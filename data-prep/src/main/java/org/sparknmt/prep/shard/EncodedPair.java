package org.sparknmt.prep.shard;

import java.io.Serializable;

/**
 * A sentence pair as BPE ids, without special tokens, with its original (1-based) line number. The
 * model sees the source as {@code x1..xm </s>} and the target as {@code <s> y1..yn} (decoder input)
 * and {@code y1..yn </s>} (labels), so both lengths are one more than the piece counts.
 *
 * <p>A plain class, not a record: Spark's Kryo 4 cannot serialize records.
 */
public final class EncodedPair implements Serializable {
  private static final long serialVersionUID = 1L;

  private long line;
  private int[] source;
  private int[] target;

  public EncodedPair(long line, int[] source, int[] target) {
    this.line = line;
    this.source = source;
    this.target = target;
  }

  public long line() {
    return line;
  }

  public int[] source() {
    return source;
  }

  public int[] target() {
    return target;
  }

  /** Source length as the model sees it: pieces + {@code </s>}. */
  public int sourceLength() {
    return source.length + 1;
  }

  /** Target length as the model sees it: pieces + {@code <s>} (input) or {@code </s>} (labels). */
  public int targetLength() {
    return target.length + 1;
  }
}
