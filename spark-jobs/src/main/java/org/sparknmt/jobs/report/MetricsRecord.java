package org.sparknmt.jobs.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of {@code metrics.jsonl}: either a training record (after a split: loss, learning rate,
 * throughput) or a validation record (dev loss, BLEU, chrF). Absent values are null and left out of
 * the JSON.
 *
 * @param step optimiser iterations done so far
 * @param epoch the epoch (from 0) the record belongs to
 * @param split index of the split within the epoch
 * @param loss training loss of the split
 * @param lr learning rate at the end of the split
 * @param tokensPerSec target tokens per second over the split
 * @param devLoss validation loss
 * @param devBleu validation BLEU (0-100)
 * @param devChrf validation chrF (0-100)
 * @param wallTimeSec training wall time since the run started
 * @param batchFrom position in the epoch's shuffled batch order of the split's first batch
 * @param batches batches the split trained
 * @param batchesSha256 SHA-256 of the split's batch names (one per line, in order): the batch log
 *     that shows a resumed run trained the same batches as an uninterrupted one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MetricsRecord(
    long step,
    int epoch,
    int split,
    Double loss,
    Double lr,
    Double tokensPerSec,
    Double devLoss,
    Double devBleu,
    Double devChrf,
    double wallTimeSec,
    Integer batchFrom,
    Integer batches,
    String batchesSha256) {

  /** A training record for one split, without its batches. */
  public static MetricsRecord train(
      long step, int epoch, int split, double loss, double lr, double tokensPerSec, double wall) {
    return new MetricsRecord(
        step, epoch, split, loss, lr, tokensPerSec, null, null, null, wall, null, null, null);
  }

  /** This training record with the batches its split trained. */
  public MetricsRecord withBatches(int from, java.util.List<String> names) {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      for (String name : names) {
        sha.update((name + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return new MetricsRecord(
          step,
          epoch,
          split,
          loss,
          lr,
          tokensPerSec,
          devLoss,
          devBleu,
          devChrf,
          wallTimeSec,
          from,
          names.size(),
          java.util.HexFormat.of().formatHex(sha.digest()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A validation record; any score may be null if it was not computed. */
  public static MetricsRecord dev(
      long step, int epoch, int split, Double devLoss, Double bleu, Double chrf, double wall) {
    return new MetricsRecord(
        step, epoch, split, null, null, null, devLoss, bleu, chrf, wall, null, null, null);
  }

  /** True for a validation record. */
  @JsonIgnore
  public boolean isDev() {
    return devLoss != null || devBleu != null || devChrf != null;
  }
}
