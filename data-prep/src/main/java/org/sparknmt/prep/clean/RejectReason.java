package org.sparknmt.prep.clean;

/**
 * Why a sentence pair was left out. The lower-case {@link #code} is what reports and {@code
 * rejects/} records show.
 */
public enum RejectReason {
  /** A side is not valid UTF-8 (only when invalid lines are configured to be rejected). */
  INVALID_UTF8("invalid-utf8"),
  /** A TSV line without exactly one tab (only when invalid lines are configured to be rejected). */
  MALFORMED_TSV("malformed-tsv"),
  /** A side is empty after normalisation. */
  EMPTY("empty"),
  /** A side has more words than allowed. */
  TOO_LONG("too-long"),
  /** The longer side is long and has too many times the words of the shorter (PairFilter). */
  LENGTH_RATIO("length-ratio"),
  /** Source and target are the same string. */
  IDENTICAL("identical"),
  /** The same (source, target) pair occurred on an earlier line. */
  DUPLICATE("duplicate"),
  /** A side has more subwords (with its {@code </s>} or {@code <s>}) than the shards allow. */
  TOO_LONG_SUBWORDS("too-long-subwords"),
  /** One of the N mod batchSize pairs left over when cutting exact-size batches. */
  BATCH_LEFTOVER("batch-leftover");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
