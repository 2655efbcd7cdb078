package org.sparknmt.prep.shard;

import java.util.ArrayList;
import java.util.List;

/**
 * The batch index of a packed shard set ({@code index.tsv}, one row per batch, in batch order):
 * where the batch lies (part file, offset, length), its padded shape and real token counts, and the
 * SHA-256 of its bytes. Training reads it to address the batches ({@link BatchRef}), to give every
 * parameter-averaging worker the same work per round, and to check the batches before training.
 */
public final class ShardIndex {
  private ShardIndex() {}

  /**
   * The shard format this index belongs to, as {@code manifest.json} names it: version 2 packs the
   * batches into part files; version 1 wrote one file per batch and is no longer read.
   */
  public static final String FORMAT = "sparknmt-shards/2";

  /** The index file's name in each set's directory. */
  public static final String FILE = "index.tsv";

  static final String HEADER =
      "part\toffset\tlength\tpairs\tsourceLength\ttargetLength\tsourceTokens\ttargetTokens\tsha256";

  /** One batch of the index. */
  public record Row(
      String part,
      long offset,
      long length,
      int pairs,
      int sourceLength,
      int targetLength,
      long sourceTokens,
      long targetTokens,
      String sha256) {

    /** The work in the batch: padded positions {@code pairs × (S + T)}. */
    public long work() {
      return (long) pairs * (sourceLength + targetLength);
    }
  }

  /** The index of {@code batches} (written, in batch order) as text. */
  public static String format(List<BatchStats> batches) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (BatchStats b : batches) {
      sb.append(b.part())
          .append('\t')
          .append(b.offset())
          .append('\t')
          .append(b.length())
          .append('\t')
          .append(b.pairs())
          .append('\t')
          .append(b.sourceLength())
          .append('\t')
          .append(b.targetLength())
          .append('\t')
          .append(b.sourceTokens())
          .append('\t')
          .append(b.targetTokens())
          .append('\t')
          .append(b.sha256())
          .append('\n');
    }
    return sb.toString();
  }

  /**
   * Parses {@link #format}'s text; {@code where} names the file in the message of the {@link
   * IllegalArgumentException} a wrong header or a malformed row raises.
   */
  public static List<Row> parse(String text, String where) {
    String[] lines = text.split("\n");
    if (lines.length == 0 || !lines[0].equals(HEADER)) {
      throw new IllegalArgumentException(
          where + " is not a packed batch index: its header is not '" + HEADER + "'");
    }
    List<Row> rows = new ArrayList<>(lines.length - 1);
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].split("\t", -1);
      try {
        if (f.length != 9 || f[0].isEmpty() || f[8].length() != 64) {
          throw new IllegalArgumentException("expected 9 fields");
        }
        rows.add(
            new Row(
                f[0],
                Long.parseLong(f[1]),
                Long.parseLong(f[2]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4]),
                Integer.parseInt(f[5]),
                Long.parseLong(f[6]),
                Long.parseLong(f[7]),
                f[8]));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "malformed row " + (i + 1) + " in " + where + ": '" + lines[i] + "'", e);
      }
    }
    return rows;
  }
}
