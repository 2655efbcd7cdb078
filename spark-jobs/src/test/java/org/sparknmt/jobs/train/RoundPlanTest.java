package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class RoundPlanTest {

  /** How JavaSparkContext.parallelize(list, n) slices a list (ParallelCollectionRDD.slice). */
  private static List<List<String>> sparkSlices(List<String> round, int n) {
    List<List<String>> slices = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int from = (int) ((long) i * round.size() / n);
      int to = (int) ((long) (i + 1) * round.size() / n);
      slices.add(round.subList(from, to));
    }
    return slices;
  }

  private static long load(List<String> share, Map<String, Long> work) {
    return share.stream().mapToLong(work::get).sum();
  }

  @Test
  void dealsLongBatchesToDifferentWorkers() {
    // two long and six short batches, in the order that a plain cut would give one worker both
    Map<String, Long> work =
        Map.of("a", 100L, "b", 90L, "c", 10L, "d", 10L, "e", 10L, "f", 10L, "g", 10L, "h", 10L);
    List<String> split = List.of("a", "b", "c", "d", "e", "f", "g", "h");
    List<List<String>> rounds = RoundPlan.rounds(split, 2, 4, work::get);
    assertEquals(1, rounds.size());
    List<List<String>> shares = sparkSlices(rounds.get(0), 2);
    assertEquals(4, shares.get(0).size());
    assertEquals(4, shares.get(1).size());
    assertTrue(shares.get(0).contains("a") != shares.get(0).contains("b"), shares.toString());
    // the best possible: a + three short (130) and b + three short (120)
    assertEquals(250, load(shares.get(0), work) + load(shares.get(1), work));
    assertEquals(10, Math.abs(load(shares.get(0), work) - load(shares.get(1), work)));
  }

  @Test
  void keepsEveryBatchOnceAndCutsRoundsInSplitOrder() {
    Random r = new Random(7);
    List<String> split = IntStream.range(0, 37).mapToObj(i -> "batch-" + i).toList();
    Map<String, Long> work = new HashMap<>();
    split.forEach(b -> work.put(b, 5L + r.nextInt(120)));
    List<List<String>> rounds = RoundPlan.rounds(split, 3, 4, work::get);
    assertEquals(4, rounds.size()); // 12 + 12 + 12 + 1
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < rounds.size(); i++) {
      List<String> round = rounds.get(i);
      assertEquals(
          split.subList(i * 12, Math.min(split.size(), (i + 1) * 12)).stream().sorted().toList(),
          round.stream().sorted().toList(),
          "round " + i + " holds its own part of the split");
      seen.addAll(round);
    }
    assertEquals(split.size(), seen.size());
    assertEquals(1, RoundPlan.partitions(rounds.get(3).size(), 3));
  }

  @Test
  void balancedRoundsWaitLessForTheSlowestWorkerThanInSplitOrder() {
    Random r = new Random(11);
    List<String> split = IntStream.range(0, 400).mapToObj(i -> "b" + i).toList();
    Map<String, Long> work = new HashMap<>();
    split.forEach(b -> work.put(b, 5L + r.nextInt(120)));
    long dealtWait = 0;
    long plainWait = 0;
    for (List<String> round : RoundPlan.rounds(split, 2, 4, work::get)) {
      List<List<String>> dealt = sparkSlices(round, 2);
      dealtWait += Math.abs(load(dealt.get(0), work) - load(dealt.get(1), work));
      List<String> plain =
          round.stream().sorted((x, y) -> split.indexOf(x) - split.indexOf(y)).toList();
      List<List<String>> cut = sparkSlices(plain, 2);
      plainWait += Math.abs(load(cut.get(0), work) - load(cut.get(1), work));
      assertEquals(4, dealt.get(0).size());
      assertEquals(4, dealt.get(1).size());
    }
    assertTrue(dealtWait * 5 < plainWait, "dealt " + dealtWait + " vs plain " + plainWait);
  }

  @Test
  void sparkSlicesARoundAsThePlanAssumes() {
    SparkConf conf = new SparkConf().setMaster("local[1]").setAppName("RoundPlanTest");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      for (int n : new int[] {1, 5, 8, 13}) {
        List<String> round = IntStream.range(0, n).mapToObj(i -> "p" + i).toList();
        for (int workers : new int[] {1, 2, 3}) {
          int parts = RoundPlan.partitions(n, workers);
          assertEquals(
              sparkSlices(round, parts),
              sc.parallelize(round, parts).glom().collect(),
              n + " batches, " + workers + " workers");
        }
      }
    }
  }

  @Test
  void equalWorkDealsByCountAndIsDeterministic() {
    List<String> split = IntStream.range(0, 10).mapToObj(i -> "x" + i).toList();
    List<List<String>> a = RoundPlan.rounds(split, 2, 5, b -> 1L);
    List<List<String>> b = RoundPlan.rounds(new ArrayList<>(split), 2, 5, x -> 1L);
    assertEquals(a, b);
    assertEquals(5, sparkSlices(a.get(0), 2).get(0).size());
  }
}
