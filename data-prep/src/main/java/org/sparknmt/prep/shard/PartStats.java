package org.sparknmt.prep.shard;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One written part file of a packed shard: its name, size, SHA-256, the number of its first batch
 * and its batches in file order (each with its offset, length and SHA-256). A plain class, not a
 * record: it comes back from the executors, and Spark's Kryo 4 cannot serialize records.
 */
public final class PartStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final int firstBatch;
  private final long bytes;
  private final String sha256;
  private final ArrayList<BatchStats> batches;

  public PartStats(
      String name, int firstBatch, long bytes, String sha256, List<BatchStats> batches) {
    this.name = name;
    this.firstBatch = firstBatch;
    this.bytes = bytes;
    this.sha256 = sha256;
    this.batches = new ArrayList<>(batches); // not List.copyOf: Kryo must read it back
  }

  /** File name inside the set's directory, e.g. {@code part-00003.bin}. */
  public String name() {
    return name;
  }

  /** Number (position in the set) of the part's first batch; the others follow in order. */
  public int firstBatch() {
    return firstBatch;
  }

  public long bytes() {
    return bytes;
  }

  /** SHA-256 (hex) of the whole part file. */
  public String sha256() {
    return sha256;
  }

  public List<BatchStats> batches() {
    return Collections.unmodifiableList(batches);
  }
}
