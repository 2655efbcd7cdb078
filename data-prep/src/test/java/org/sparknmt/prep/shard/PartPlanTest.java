package org.sparknmt.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PartPlanTest {
  private static long[] partBytes(long[] bytes, int[] partOf) {
    long[] sums = new long[partOf[partOf.length - 1] + 1];
    for (int i = 0; i < bytes.length; i++) {
      sums[partOf[i]] += bytes[i];
    }
    return sums;
  }

  @Test
  void consecutiveBatchesFillPartsOfAboutEqualSizeWithinTheLimit() {
    Random r = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(400);
      long[] bytes = new long[n];
      for (int i = 0; i < n; i++) {
        bytes[i] = 1 + r.nextInt(1000);
      }
      long limit = 2000 + r.nextInt(20_000);
      int minParts = 1 + r.nextInt(8);
      int[] partOf = PartPlan.partOf(bytes, limit, minParts);
      assertEquals(0, partOf[0]);
      for (int i = 1; i < n; i++) {
        assertTrue(partOf[i] - partOf[i - 1] == 0 || partOf[i] - partOf[i - 1] == 1, "no gaps");
      }
      long[] sums = partBytes(bytes, partOf);
      for (long sum : sums) {
        assertTrue(sum <= limit, sum + " > " + limit);
      }
      long total = java.util.Arrays.stream(bytes).sum();
      assertTrue(
          sums.length <= Math.max(Math.min(minParts, n), total / (limit - 1000) + 1),
          "no more parts than needed: " + sums.length);
    }
  }

  @Test
  void examples() {
    // 10 batches of 10 bytes, room for 50 (- the largest batch = 40): 3 parts
    long[] ten = new long[10];
    java.util.Arrays.fill(ten, 10);
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 2, 2, 2}, PartPlan.partOf(ten, 50, 1));
    // everything fits one part, but two writers write two
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, PartPlan.partOf(ten, 1000, 2));
    // more writers than batches: one batch each
    assertArrayEquals(new int[] {0, 1, 2}, PartPlan.partOf(new long[] {5, 5, 5}, 1000, 8));
    // a batch larger than a part is a part by itself
    assertArrayEquals(new int[] {0, 1, 2, 2}, PartPlan.partOf(new long[] {5, 70, 5, 5}, 50, 1));
  }
}
