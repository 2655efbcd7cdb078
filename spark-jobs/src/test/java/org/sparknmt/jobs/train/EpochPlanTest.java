package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
    for (int s = 0; s < plan.splitsPerEpoch(); s++) {
      seen.addAll(plan.split(1, s));
    }
    assertEquals(103, seen.size());
    assertEquals(new HashSet<>(paths(103)), new HashSet<>(seen));
    assertEquals(plan.order(1), seen);
  }

  @Test
  void orderIsDeterministicPerEpochAndIndependentOfInputOrder() {
    List<String> reversed = new ArrayList<>(paths(50));
    java.util.Collections.reverse(reversed);
    EpochPlan a = new EpochPlan(paths(50), 42, 1, 1, 1);
    EpochPlan b = new EpochPlan(reversed, 42, 1, 1, 1);
    assertEquals(a.order(3), b.order(3));
    assertNotEquals(a.order(0), a.order(1));
    assertNotEquals(a.order(0), new EpochPlan(paths(50), 43, 1, 1, 1).order(0));
  }
}
