package org.sparknmt.jobs.store;

import java.net.URI;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.sparknmt.jobs.config.Settings;

/**
 * The validated {@code sparknmt.lock.*} keys: a holder whose heartbeat is older than {@code
 * staleAfter} is taken for dead, its lock broken only with {@code breakStale}.
 */
public record LockSettings(Duration staleAfter, boolean breakStale) {

  public static LockSettings from(Settings s) {
    return new LockSettings(
        Duration.ofSeconds(s.integer("sparknmt.lock.stale-after-seconds", 5, 7 * 24 * 3600)),
        s.bool("sparknmt.lock.break-stale"));
  }

  /** The lock on {@code dir} for {@code purpose} (named to a second job that finds it taken). */
  public DirectoryLock acquire(URI dir, Configuration conf, String purpose) {
    return DirectoryLock.acquire(dir, conf, purpose, staleAfter, breakStale);
  }
}
