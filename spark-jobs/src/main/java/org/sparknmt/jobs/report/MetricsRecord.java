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
    double wallTimeSec) {

  /** A training record for one split. */
  public static MetricsRecord train(
      long step, int epoch, int split, double loss, double lr, double tokensPerSec, double wall) {
    return new MetricsRecord(step, epoch, split, loss, lr, tokensPerSec, null, null, null, wall);
  }

  /** A validation record; any score may be null if it was not computed. */
  public static MetricsRecord dev(
      long step, int epoch, int split, Double devLoss, Double bleu, Double chrf, double wall) {
    return new MetricsRecord(step, epoch, split, null, null, null, devLoss, bleu, chrf, wall);
  }

  /** True for a validation record. */
  @JsonIgnore
  public boolean isDev() {
    return devLoss != null || devBleu != null || devChrf != null;
  }
}
