package org.sparknmt.prep.shard;

/**
 * Where one batch lies in a packed part file: the part's URI, the byte offset of the batch's {@code
 * MultiDataSet.save} bytes in it and their length. Its text form {@code <part
 * URI>#<offset>+<length>} (e.g. {@code hdfs://nn/shards/train/part-00003.bin#1048576+20480}) is
 * what travels through dl4j-spark's {@code fitPaths} as a "path" and what error messages name.
 */
public record BatchRef(String part, long offset, long length) {

  public BatchRef {
    if (part.isEmpty() || offset < 0 || length <= 0 || length > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "not a batch reference: part '" + part + "', offset " + offset + ", length " + length);
    }
  }

  /** Parses {@link #toString}'s form; anything else is an {@link IllegalArgumentException}. */
  public static BatchRef parse(String ref) {
    int hash = ref.lastIndexOf('#');
    int plus = ref.lastIndexOf('+');
    if (hash <= 0 || plus < hash) {
      throw new IllegalArgumentException(
          "not a batch reference (<part>#<offset>+<length>): '" + ref + "'");
    }
    try {
      return new BatchRef(
          ref.substring(0, hash),
          Long.parseLong(ref.substring(hash + 1, plus)),
          Long.parseLong(ref.substring(plus + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a batch reference (<part>#<offset>+<length>): '" + ref + "'", e);
    }
  }

  /** The part file's name (the last path segment of {@link #part}). */
  public String partName() {
    return part.substring(part.lastIndexOf('/') + 1);
  }

  @Override
  public String toString() {
    return part + "#" + offset + "+" + length;
  }
}
