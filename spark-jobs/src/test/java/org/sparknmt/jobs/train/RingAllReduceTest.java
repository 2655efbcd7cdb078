package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link RingAllReduce}: every member ends with the element-wise sum, for ring sizes and vector
 * lengths that do not divide each other, and a member that fails makes the others fail instead of
 * waiting. Values are small integers, so that float sums in any order are exact.
 */
class RingAllReduceTest {

  /** An all-gather among {@code size} threads (what {@code BarrierTaskContext.allGather} does). */
  private static final class Gather {
    private final String[] messages;
    private int arrived;

    Gather(int size) {
      messages = new String[size];
    }

    Function<String, String[]> member(int rank) {
      return message -> {
        synchronized (this) {
          messages[rank] = message;
          arrived++;
          notifyAll();
          while (arrived < messages.length) {
            try {
              wait();
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          }
          return messages.clone();
        }
      };
    }
  }

  private static float[] vector(int rank, int length) {
    float[] v = new float[length];
    for (int i = 0; i < length; i++) {
      v[i] = (rank + 1) * 1000 + i % 97;
    }
    return v;
  }

  /** The element-wise sum of every member's {@link #vector}. */
  private static float[] sumOfVectors(int size, int length) {
    float[] sum = new float[length];
    for (int rank = 0; rank < size; rank++) {
      float[] v = vector(rank, length);
      for (int i = 0; i < length; i++) {
        sum[i] += v[i];
      }
    }
    return sum;
  }

  /**
   * Every member's vector after {@code rounds} sums on the same ring; member r learns the others'
   * addresses through {@code gatherFor.apply(r)}.
   */
  private static List<float[]> sumAcross(
      int size, int length, int rounds, IntFunction<Function<String, String[]>> gatherFor)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(size);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int rank = 0; rank < size; rank++) {
        int r = rank;
        results.add(
            pool.submit(
                () -> {
                  float[] v = vector(r, length);
                  try (RingAllReduce ring =
                      RingAllReduce.join(r, size, "127.0.0.1", gatherFor.apply(r), () -> false)) {
                    for (int round = 0; round < rounds; round++) {
                      ring.sum(v);
                    }
                  }
                  return v;
                }));
      }
      List<float[]> sums = new ArrayList<>();
      for (Future<float[]> f : results) {
        sums.add(f.get(60, TimeUnit.SECONDS));
      }
      return sums;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void everyMemberEndsWithTheSum() throws Exception {
    for (int size : new int[] {1, 2, 3, 4}) {
      for (int length : new int[] {1, 2, 7, 70_001}) {
        float[] expected = sumOfVectors(size, length);
        for (int i = 0; i < length; i++) {
          expected[i] *= size; // two rounds: the second sums size copies of the first sum
        }
        for (float[] got : sumAcross(size, length, 2, new Gather(size)::member)) {
          assertArrayEquals(expected, got, "ring of " + size + ", length " + length);
        }
      }
    }
  }

  @Test
  void membersFindEachOtherThroughTheDriversRendezvous() throws Exception {
    int size = 3;
    try (RingRendezvous rendezvous = RingRendezvous.open("127.0.0.1", size)) {
      IntFunction<Function<String, String[]>> viaRendezvous =
          rank ->
              own -> {
                try {
                  return RingRendezvous.gather(rendezvous.address(), rank, size, own, () -> false);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              };
      for (float[] got : sumAcross(size, 1001, 1, viaRendezvous)) {
        assertArrayEquals(sumOfVectors(size, 1001), got);
      }
    }
  }

  @Test
  void aMemberWaitingAtTheRendezvousStopsWhenCancelled() throws Exception {
    // a ring of 2 whose second member never comes
    try (RingRendezvous rendezvous = RingRendezvous.open("127.0.0.1", 2)) {
      long start = System.nanoTime();
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  RingRendezvous.gather(
                      rendezvous.address(),
                      0,
                      2,
                      "127.0.0.1:1",
                      () -> System.nanoTime() - start > 2_000_000_000L));
      assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
    }
  }

  @Test
  void aFailedMemberMakesItsNeighboursFailInsteadOfWaiting() throws Exception {
    int size = 3;
    Gather gather = new Gather(size);
    ExecutorService pool = Executors.newFixedThreadPool(size);
    try {
      List<Future<?>> members = new ArrayList<>();
      for (int rank = 0; rank < size; rank++) {
        int r = rank;
        members.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.join(r, size, "127.0.0.1", gather.member(r), () -> false)) {
                    if (r == 1) {
                      return null; // fails before the round: closes its sockets
                    }
                    ring.sum(vector(r, 100_000));
                  }
                  return null;
                }));
      }
      members.get(1).get(60, TimeUnit.SECONDS);
      for (int rank : new int[] {0, 2}) {
        Future<?> member = members.get(rank);
        ExecutionException e =
            assertThrows(ExecutionException.class, () -> member.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException, "member " + rank + ": " + e.getCause());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCancelledMemberStopsWaiting() throws Exception {
    // member 1 listens but never connects to member 0, which waits for it until cancelled
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
      String other = "127.0.0.1:" + silent.getLocalPort();
      long start = System.nanoTime();
      Future<?> member =
          pool.submit(
              () -> {
                try (RingAllReduce ring =
                    RingAllReduce.join(
                        0,
                        2,
                        "127.0.0.1",
                        message -> new String[] {message, other},
                        () -> System.nanoTime() - start > 2_000_000_000L)) {
                  ring.sum(new float[4]);
                }
                return null;
              });
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> member.get(60, TimeUnit.SECONDS));
      assertTrue(
          e.getCause() instanceof IOException && e.getCause().getMessage().contains("cancelled"),
          String.valueOf(e.getCause()));
    } finally {
      pool.shutdownNow();
    }
  }
}
