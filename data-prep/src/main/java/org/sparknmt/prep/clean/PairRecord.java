package org.sparknmt.prep.clean;

import java.io.Serializable;

/**
 * A sentence pair with its original 1-based line number and, once cleaned, the reason it was
 * rejected (null = kept). A plain class, not a record: Spark's Kryo 4 cannot serialize records.
 */
public final class PairRecord implements Serializable {
  private static final long serialVersionUID = 1L;

  private long line;
  private String source;
  private String target;
  private RejectReason reason;

  public PairRecord(long line, String source, String target, RejectReason reason) {
    this.line = line;
    this.source = source;
    this.target = target;
    this.reason = reason;
  }

  public static PairRecord kept(long line, String source, String target) {
    return new PairRecord(line, source, target, null);
  }

  public long line() {
    return line;
  }

  public String source() {
    return source;
  }

  public String target() {
    return target;
  }

  /** Why the pair was rejected, or null if it is kept. */
  public RejectReason reason() {
    return reason;
  }

  public boolean isKept() {
    return reason == null;
  }

  public PairRecord withReason(RejectReason r) {
    return new PairRecord(line, source, target, r);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PairRecord p
        && p.line == line
        && p.source.equals(source)
        && p.target.equals(target)
        && p.reason == reason;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(line) * 31 + source.hashCode();
  }

  @Override
  public String toString() {
    return line
        + (reason == null ? "" : " [" + reason.code() + "]")
        + " "
        + source
        + " ||| "
        + target;
  }
}
