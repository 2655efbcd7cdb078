package org.sparknmt.prep.shard;

/**
 * Which part file each batch goes to: consecutive batches (in the set's batch order) fill parts of
 * about equal size, at most {@code maxPartBytes} each (a single batch larger than that is a part by
 * itself), and there are {@code minParts} parts (one per writer, so that all of them write) when
 * that limit asks for fewer and there are that many batches (fewer when a batch larger than a
 * {@code minParts}-th of the bytes spans two parts' share). Computed on the driver from the
 * batches' exact serialized sizes ({@link BatchBuilder#serializedBytes}).
 */
public final class PartPlan {
  private PartPlan() {}

  /**
   * @param bytes serialized size of each batch, in batch order
   * @return the part of each batch: non-decreasing, starting at 0, without gaps
   */
  public static int[] partOf(long[] bytes, long maxPartBytes, int minParts) {
    if (maxPartBytes < 1 || minParts < 1) {
      throw new IllegalArgumentException("maxPartBytes and minParts must be >= 1");
    }
    int n = bytes.length;
    long total = 0;
    long largest = 0;
    for (long b : bytes) {
      total += b;
      largest = Math.max(largest, b);
    }
    long room = maxPartBytes - largest;
    if (room <= 0) {
      return greedy(bytes, maxPartBytes); // a batch as large as a part: parts fill up in turn
    }
    // a part takes the batches that start in its 1/parts of the bytes: it holds at most
    // total/parts + one batch, which stays within maxPartBytes when total/parts <= room
    long parts = Math.min(n, Math.max((total + room - 1) / room, Math.min(minParts, n)));
    int[] partOf = new int[n];
    long before = 0;
    int part = -1;
    long last = -1;
    for (int i = 0; i < n; i++) {
      long slot = Math.multiplyExact(before, parts) / total;
      if (slot != last) {
        part++; // slots left empty by a large batch are skipped: part numbers have no gaps
        last = slot;
      }
      partOf[i] = part;
      before += bytes[i];
    }
    return partOf;
  }

  /** Parts filled in turn up to {@code maxPartBytes}; a larger batch is a part by itself. */
  private static int[] greedy(long[] bytes, long maxPartBytes) {
    int[] partOf = new int[bytes.length];
    int part = 0;
    long inPart = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (inPart > 0 && inPart + bytes[i] > maxPartBytes) {
        part++;
        inPart = 0;
      }
      partOf[i] = part;
      inPart += bytes[i];
    }
    return partOf;
  }
}
