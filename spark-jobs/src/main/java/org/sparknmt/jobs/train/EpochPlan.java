package org.sparknmt.jobs.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The order in which an epoch visits the shard's batches, and how it is cut into splits.
 *
 * <p>Each epoch is a deterministic shuffle of the batches (seeded by the run seed and the epoch
 * number) from the shard's batch order (its index), so a resumed run sees exactly the data order
 * the interrupted run would have seen; the shuffle permutes batch numbers, so it does not depend on
 * how a batch is referenced (a file each before the shards were packed, a part file and offset
 * now). A split is what one {@code fitPathsMultiDataSet} call trains on: {@code rounds}
 * parameter-averaging rounds of {@code workers × averagingFrequency} batches. Checkpoints are taken
 * between splits and record the position inside an epoch as the index of the next batch in this
 * order; the next split starts there whatever the split size, so a run resumed with another worker
 * count continues at exactly that batch.
 */
public final class EpochPlan {
  private final List<String> batches;
  private final long seed;
  private final int splitSize;

  /**
   * @param batches all batches of the shard (references), in the shard's batch order
   * @param seed the run's seed
   * @param workers data-parallel workers (executors training at once)
   * @param averagingFrequency minibatches each worker fits between two averagings
   * @param roundsPerSplit averaging rounds per split
   */
  public EpochPlan(
      List<String> batches, long seed, int workers, int averagingFrequency, int roundsPerSplit) {
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("no batches to train on");
    }
    if (workers < 1 || averagingFrequency < 1 || roundsPerSplit < 1) {
      throw new IllegalArgumentException(
          "workers, averagingFrequency and roundsPerSplit must be >= 1");
    }
    this.batches = List.copyOf(batches);
    this.seed = seed;
    this.splitSize = workers * averagingFrequency * roundsPerSplit;
  }

  /** The batches of {@code epoch} (0-based) in training order. */
  public List<String> order(int epoch) {
    List<String> order = new ArrayList<>(batches);
    Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
    return order;
  }

  /** Number of splits per epoch (the last one may be shorter). */
  public int splitsPerEpoch() {
    return (batches.size() + splitSize - 1) / splitSize;
  }

  /**
   * The split of {@code epoch} that starts at batch {@code from} (0-based, in {@link #order}): the
   * next {@link #splitSize} batches, fewer at the end of the epoch.
   */
  public List<String> splitFrom(int epoch, int from) {
    if (from < 0 || from >= batches.size()) {
      throw new IndexOutOfBoundsException("batch " + from + " of " + batches.size());
    }
    List<String> order = order(epoch);
    return List.copyOf(order.subList(from, Math.min(order.size(), from + splitSize)));
  }

  public int batchesPerEpoch() {
    return batches.size();
  }

  public int splitSize() {
    return splitSize;
  }
}
