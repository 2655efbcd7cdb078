package org.sparknmt.prep.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BucketingTest {
  @Test
  void bucketsCoverWidthWideRanges() {
    Bucketing b = new Bucketing(4, 32);
    assertEquals(0, b.bucket(1));
    assertEquals(0, b.bucket(4));
    assertEquals(1, b.bucket(5));
    assertEquals(5, b.bucketMin(1));
    assertEquals(8, b.bucketMax(1));
  }

  @Test
  void sortKeyOrdersByBucketThenTargetThenSourceThenLine() {
    Bucketing b = new Bucketing(4, 32);
    long[] keys = {
      b.sortKey(5, 3, 7), // bucket 1, T 3
      b.sortKey(4, 30, 1), // bucket 0, T 30
      b.sortKey(3, 30, 2), // bucket 0, T 30, S 3 < 4
      b.sortKey(3, 30, 0), // same, lower line
      b.sortKey(8, 2, 9), // bucket 1, T 2
    };
    long[] sorted = keys.clone();
    Arrays.sort(sorted);
    assertArrayEquals(new long[] {keys[3], keys[2], keys[1], keys[4], keys[0]}, sorted);
    assertEquals(9, Bucketing.lineOf(keys[4]));
  }

  @Test
  void shuffleIsASeededPermutation() {
    int[] p = Bucketing.shuffle(1000, 42);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
    assertArrayEquals(p, Bucketing.shuffle(1000, 42));
    assertNotEquals(Arrays.toString(p), Arrays.toString(Bucketing.shuffle(1000, 43)));
  }

  @Test
  void leftoverRankDependsOnSeed() {
    assertEquals(Bucketing.leftoverRank(1, 5), Bucketing.leftoverRank(1, 5));
    assertNotEquals(Bucketing.leftoverRank(1, 5), Bucketing.leftoverRank(2, 5));
    assertTrue(Bucketing.leftoverRank(1, 5) != Bucketing.leftoverRank(1, 6));
  }
}
