package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class EpochPlanTest {
  private static List<String> paths(int n) {
    List<String> p = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      p.add(String.format("batch-%05d.bin", i));
    }
    return p;
  }

  @Test
  void splitsCoverTheEpochExactlyOnce() {
    EpochPlan plan = new EpochPlan(paths(103), 7, 2, 5, 3);
    assertEquals(30, plan.splitSize());
    assertEquals(4, plan.splitsPerEpoch());
    List<String> seen = new ArrayList<>();
    for (int from = 0; from < plan.batchesPerEpoch(); from += plan.splitSize()) {
      seen.addAll(plan.splitFrom(1, from));
    }
    assertEquals(103, seen.size());
    assertEquals(new HashSet<>(paths(103)), new HashSet<>(seen));
    assertEquals(plan.order(1), seen);
  }

  @Test
  void orderIsDeterministicPerEpochAndAPermutationOfBatchNumbers() {
    EpochPlan a = new EpochPlan(paths(50), 42, 1, 1, 1);
    assertEquals(a.order(3), new EpochPlan(paths(50), 42, 1, 1, 1).order(3));
    assertNotEquals(a.order(0), a.order(1));
    assertNotEquals(a.order(0), new EpochPlan(paths(50), 43, 1, 1, 1).order(0));
    // the same batches referenced in packed part files are visited in the same order of batch
    // numbers: a run resumed on the packed shards of the same data continues the same order
    List<String> packed = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      packed.add("part-0000" + (i / 20) + ".bin#" + (i % 20) * 1000 + "+1000");
    }
    List<String> numbersPacked =
        new EpochPlan(packed, 42, 1, 1, 1)
            .order(3).stream().map(r -> String.valueOf(packed.indexOf(r))).toList();
    assertEquals(
        a.order(3).stream().map(p -> String.valueOf(paths(50).indexOf(p))).toList(), numbersPacked);
  }

  /**
   * A run checkpointed after 80 batches with 2 workers (splits of 40) and resumed with 1 worker
   * (splits of 15) trains batches 80.. of the same order: nothing skipped, nothing repeated (issue
   * 14's drift: the old split-index position resumed at batch 2 × 15 = 30).
   */
  @Test
  void aResumeWithAnotherWorkerCountContinuesAtTheSameBatch() {
    EpochPlan twoWorkers = new EpochPlan(paths(103), 7, 2, 4, 5);
    EpochPlan oneWorker = new EpochPlan(paths(103), 7, 1, 3, 5);
    List<String> trained = new ArrayList<>();
    int from = 0;
    for (int s = 0; s < 2; s++) {
      List<String> split = twoWorkers.splitFrom(0, from);
      trained.addAll(split);
      from += split.size();
    }
    assertEquals(80, from); // the checkpoint's nextBatch
    while (from < oneWorker.batchesPerEpoch()) {
      List<String> split = oneWorker.splitFrom(0, from);
      assertTrue(split.size() <= 15);
      trained.addAll(split);
      from += split.size();
    }
    assertEquals(twoWorkers.order(0), trained);
  }
}
