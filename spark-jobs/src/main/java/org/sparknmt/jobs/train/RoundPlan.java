package org.sparknmt.jobs.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Cuts a split into parameter-averaging rounds and deals each round's batch files to the workers so
 * that they finish the round together.
 *
 * <p>Every round waits for its slowest worker before the parameters are averaged, and length
 * bucketing makes batches differ in work by an order of magnitude (a batch of 5-token verses vs one
 * of 120-token verses). dl4j-spark itself deals the batches of a round out at random, so one worker
 * often idles while the other finishes its long batches. Here each round is {@code workers ×
 * averagingFrequency} consecutive batches of the split, dealt longest-first to the worker with the
 * least work so far that still has room (every worker fits the same number of minibatches). The
 * round's list is ordered worker by worker, matching how {@code JavaSparkContext.parallelize(list,
 * workers)} slices a list (slice {@code i} = elements {@code [i·n/w, (i+1)·n/w)}), so partition
 * {@code i} is worker {@code i}'s share.
 */
public final class RoundPlan {
  private RoundPlan() {}

  /**
   * The rounds of {@code split}, each ordered for {@code parallelize(round, partitions(round))}.
   *
   * @param work the work in a batch file (e.g. padded positions); equal values = deal by count
   */
  public static List<List<String>> rounds(
      List<String> split, int workers, int averagingFrequency, ToLongFunction<String> work) {
    if (workers < 1 || averagingFrequency < 1) {
      throw new IllegalArgumentException("workers and averagingFrequency must be >= 1");
    }
    int roundSize = workers * averagingFrequency;
    List<List<String>> rounds = new ArrayList<>();
    for (int from = 0; from < split.size(); from += roundSize) {
      List<String> batches = split.subList(from, Math.min(split.size(), from + roundSize));
      rounds.add(deal(batches, partitions(batches.size(), workers), work));
    }
    return rounds;
  }

  /** Partitions (= workers used) for a round of {@code batches} files. */
  public static int partitions(int batches, int workers) {
    return Math.max(1, Math.min(workers, batches));
  }

  /** Deals {@code batches} to {@code slots} workers, returned worker by worker. */
  static List<String> deal(List<String> batches, int slots, ToLongFunction<String> work) {
    int n = batches.size();
    int[] capacity = new int[slots];
    for (int i = 0; i < slots; i++) {
      capacity[i] = (int) ((long) (i + 1) * n / slots - (long) i * n / slots);
    }
    List<List<String>> shares = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      shares.add(new ArrayList<>());
    }
    long[] load = new long[slots];
    List<String> longestFirst = new ArrayList<>(batches);
    longestFirst.sort(
        Comparator.comparingLong(work).reversed().thenComparing(Comparator.naturalOrder()));
    for (String batch : longestFirst) {
      int best = -1;
      for (int i = 0; i < slots; i++) {
        if (shares.get(i).size() < capacity[i] && (best < 0 || load[i] < load[best])) {
          best = i;
        }
      }
      shares.get(best).add(batch);
      load[best] += work.applyAsLong(batch);
    }
    List<String> ordered = new ArrayList<>(n);
    for (List<String> share : shares) {
      ordered.addAll(share);
    }
    return ordered;
  }
}
