package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.store.DirectoryLock;

/** A TrainJob on a run directory another job holds exits 3 before it reads or writes anything. */
class TrainJobLockTest {
  @TempDir Path tmp;

  @Test
  @SuppressWarnings("try") // the lock is held for its side effect only
  void aSecondTrainJobOnTheSameRunDirectoryExitsLockedNamingTheHolder() throws Exception {
    Path run = tmp.resolve("run");
    try (DirectoryLock held =
        DirectoryLock.acquire(
            run.toUri(), new Configuration(), "first train job", Duration.ofMinutes(10), false)) {
      PrintStream oldErr = System.err;
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int rc;
      try {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        rc =
            Cli.execute(
                new TrainJob(),
                "--shards",
                tmp.resolve("no-shards").toString(),
                "--run",
                run.toString(),
                "--models",
                tmp.resolve("work").toString(),
                "--set",
                "sparknmt.spark.master=local[1]");
      } finally {
        System.setErr(oldErr);
      }
      String msg = err.toString(StandardCharsets.UTF_8);
      assertEquals(Cli.EXIT_LOCKED, rc, msg);
      assertTrue(msg.contains("is locked by first train job of "), msg);
      assertFalse(Files.exists(run.resolve("checkpoints")), "nothing written");
      assertFalse(Files.exists(tmp.resolve("work")), "nothing written");
    }
  }
}
