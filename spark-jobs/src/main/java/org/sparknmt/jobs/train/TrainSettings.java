package org.sparknmt.jobs.train;

import org.sparknmt.jobs.config.Settings;

/**
 * The validated {@code sparknmt.train.*} keys of reference.conf: how parameter averaging,
 * checkpoints, validation and early stopping run. Model hyper-parameters are read by {@link
 * ModelSettings}.
 */
public record TrainSettings(
    int epochs,
    int workers,
    int averagingFrequency,
    int updateFrequency,
    double clipNorm,
    int roundsPerSplit,
    int workerPrefetch,
    int aggregationDepth,
    String optimizerStateAveraging,
    String averaging,
    long seed,
    int checkpointEverySplits,
    int keepCheckpoints,
    int validateEverySplits,
    int devBleuSentences,
    String earlyStoppingMetric,
    int patience,
    int averageLast,
    String averageCheckpoints,
    boolean verifyShards) {

  public static final String DEV_BLEU = "dev-bleu";
  public static final String DEV_LOSS = "dev-loss";

  /** Average the last checkpoints written (epoch ends and the ones between). */
  public static final String AVERAGE_LAST_WRITTEN = "last-written";

  /** Average the last epoch-end checkpoints only (fairseq's --num-epoch-checkpoints). */
  public static final String AVERAGE_EPOCH_ENDS = "epoch-ends";

  /** Adam's moments averaged with the parameters in every round (dl4j-spark's saveUpdater). */
  public static final String STATE_EVERY_ROUND = "every-round";

  /**
   * Rounds average the parameters only and each worker keeps its own Adam moments: workers start
   * from the driver's moments in the first round, the round before each checkpoint averages theirs,
   * and the round after it restarts every worker from that average.
   */
  public static final String STATE_AT_CHECKPOINTS = "at-checkpoints";

  /**
   * Each round a dl4j-spark job: the driver broadcasts the model and averages what the workers
   * return (treeAggregate).
   */
  public static final String AVERAGING_DRIVER = "driver";

  /**
   * Each split one Spark barrier stage; after each round the workers average among themselves by a
   * ring all-reduce ({@link AllReduceSplit}).
   */
  public static final String AVERAGING_ALLREDUCE = "allreduce";

  public static TrainSettings from(Settings s) {
    String p = "sparknmt.train.";
    return new TrainSettings(
        s.integer(p + "epochs", 1, 100_000),
        s.integer(p + "workers", 0, 100_000),
        s.integer(p + "averaging-frequency", 1, 100_000),
        s.integer(p + "update-frequency", 1, 100_000),
        s.real(p + "clip-norm", 0, 1e9),
        s.integer(p + "rounds-per-split", 1, 100_000),
        s.integer(p + "worker-prefetch", 0, 1000),
        s.integer(p + "aggregation-depth", 1, 10),
        s.choice(p + "optimizer-state-averaging", STATE_EVERY_ROUND, STATE_AT_CHECKPOINTS),
        s.choice(p + "averaging", AVERAGING_DRIVER, AVERAGING_ALLREDUCE),
        s.longValue(p + "seed", Long.MIN_VALUE, Long.MAX_VALUE),
        s.integer(p + "checkpoint-every-splits", 1, 1_000_000),
        s.integer(p + "keep-checkpoints", 1, 1000),
        s.integer(p + "validate-every-splits", 0, 1_000_000),
        s.integer(p + "dev-bleu-sentences", 0, 10_000_000),
        s.choice(p + "early-stopping-metric", DEV_BLEU, DEV_LOSS),
        s.integer(p + "patience", 0, 1000),
        s.integer(p + "average-last", 1, 100),
        s.choice(p + "average-checkpoints", AVERAGE_LAST_WRITTEN, AVERAGE_EPOCH_ENDS),
        s.bool(p + "verify-shards"));
  }

  /**
   * Batch files each worker fits between two averagings: {@code averagingFrequency} optimizer
   * updates of {@code updateFrequency} minibatches each.
   */
  public int batchesPerWorkerPerRound() {
    return averagingFrequency * updateFrequency;
  }

  /** True if every averaging round also averages Adam's moments. */
  public boolean optimizerStateEveryRound() {
    return STATE_EVERY_ROUND.equals(optimizerStateAveraging);
  }

  /** True if the workers average among themselves ({@link #AVERAGING_ALLREDUCE}). */
  public boolean allReduce() {
    return AVERAGING_ALLREDUCE.equals(averaging);
  }

  /** True if a higher value of the early-stopping metric is better. */
  public boolean higherIsBetter() {
    return DEV_BLEU.equals(earlyStoppingMetric);
  }
}
