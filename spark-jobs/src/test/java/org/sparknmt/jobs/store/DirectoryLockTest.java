package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.LockedError;

@SuppressWarnings("try") // locks held for their side effect only
class DirectoryLockTest {
  private static final Duration STALE = Duration.ofSeconds(2);

  @TempDir Path tmp;

  private DirectoryLock lock(Path dir, boolean breakStale) {
    return DirectoryLock.acquire(dir.toUri(), new Configuration(), "test job", STALE, breakStale);
  }

  @Test
  void aSecondHolderIsRefusedWithTheFirstNamedUntilItReleases() {
    Path run = tmp.resolve("run");
    try (DirectoryLock first = lock(run, false)) {
      LockedError e = assertThrows(LockedError.class, () -> lock(run, false));
      assertTrue(e.getMessage().contains("is locked by test job of "), e.getMessage());
      assertTrue(e.getMessage().contains("(pid " + ProcessHandle.current().pid() + ")"));
      assertTrue(e.getMessage().contains("wait for it to finish"), e.getMessage());
    }
    assertFalse(Files.exists(run.resolve(DirectoryLock.FILE)), "released");
    lock(run, false).close();
  }

  @Test
  void theHeartbeatKeepsALiveLockFresh() throws Exception {
    Path run = tmp.resolve("live");
    try (DirectoryLock held = lock(run, false)) {
      Thread.sleep(3 * STALE.toMillis()); // older than STALE without a heartbeat
      LockedError e = assertThrows(LockedError.class, () -> lock(run, true));
      assertTrue(e.getMessage().contains("wait for it to finish"), e.getMessage());
    }
  }

  @Test
  void aStaleLockIsReportedAndBrokenOnlyWhenAsked() throws Exception {
    Path run = tmp.resolve("stale");
    Files.createDirectories(run);
    Path file = run.resolve(DirectoryLock.FILE);
    // a holder on another host: its process cannot be checked from here, only its heartbeat
    Files.writeString(file, "{\"purpose\":\"dead job\",\"user\":\"u\",\"host\":\"h\",\"pid\":7}");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(3600)));
    LockedError e = assertThrows(LockedError.class, () -> lock(run, false));
    assertTrue(e.getMessage().contains("dead job of u@h (pid 7)"), e.getMessage());
    assertTrue(e.getMessage().contains("sparknmt.lock.break-stale=true"), e.getMessage());
    try (DirectoryLock taken = lock(run, true)) {
      assertTrue(Files.readString(file).contains("\"purpose\":\"test job\""));
    }
  }

  @Test
  void aLockWhoseRecordIsStillBeingWrittenIsReportedWithItsHolder() throws Exception {
    Path run = tmp.resolve("being-written");
    Files.createDirectories(run);
    Path file = run.resolve(DirectoryLock.FILE);
    Files.createFile(file); // created, not yet written: what a job losing the race by ms sees
    Thread writer =
        new Thread(
            () -> {
              try {
                Thread.sleep(500);
                Files.writeString(
                    file, "{\"purpose\":\"other job\",\"user\":\"u\",\"host\":\"h\",\"pid\":7}");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    LockedError e = assertThrows(LockedError.class, () -> lock(run, false));
    writer.join();
    assertTrue(e.getMessage().contains("is locked by other job of u@h (pid 7)"), e.getMessage());
  }

  @Test
  void ofManyConcurrentContendersExactlyOneWins() throws Exception {
    Path run = tmp.resolve("race");
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<DirectoryLock>> tries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tries.add(
          pool.submit(
              () -> {
                go.await();
                try {
                  return lock(run, false);
                } catch (LockedError e) {
                  return null;
                }
              }));
    }
    go.countDown();
    List<DirectoryLock> winners = new ArrayList<>();
    for (Future<DirectoryLock> f : tries) {
      DirectoryLock l = f.get();
      if (l != null) {
        winners.add(l);
      }
    }
    pool.shutdown();
    winners.forEach(DirectoryLock::close); // only after every contender has tried
    assertEquals(1, winners.size());
  }

  @Test
  void aHolderOnThisHostWhoseProcessIsGoneIsTakenOverAtOnce() throws Exception {
    Path run = tmp.resolve("killed");
    Files.createDirectories(run);
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    String host = java.net.InetAddress.getLocalHost().getHostName();
    Files.writeString(
        run.resolve(DirectoryLock.FILE),
        "{\"purpose\":\"killed driver\",\"host\":\""
            + host
            + "\",\"machine\":\""
            + DirectoryLock.machineId()
            + "\",\"pid\":"
            + p.pid()
            + "}");
    // fresh heartbeat, no break-stale: taken over only because process p is gone
    lock(run, false).close();
  }
}
