package org.sparknmt.jobs.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.LockedError;

/**
 * An exclusive lock on a directory (a training run, a model name) on any Hadoop file system: the
 * file {@code <dir>/.lock}, created atomically (HDFS: {@code create} without overwrite, one
 * NameNode operation; local file system: {@link Files#createFile}, O_EXCL), holding who took it
 * (user, host, boot id, pid, purpose, start time). While held, a daemon thread refreshes the file's
 * modification time (the heartbeat) every quarter of {@code staleAfter}; a lock whose heartbeat is
 * older than {@code staleAfter} belongs to a holder that died, and is broken only when asked; a
 * holder on this machine whose process is gone (a killed driver re-run on the same machine: same
 * host name and boot id) is taken over at once. Closing the lock deletes the file if it is still
 * this holder's.
 */
public final class DirectoryLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DirectoryLock.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FILE = ".lock";

  /** How long a job waits for the record of a lock created a moment ago to be written. */
  static final Duration WRITE_WAIT = Duration.ofSeconds(5);

  private final FileSystem fs;
  private final Path file;
  private final String token;
  private final ScheduledExecutorService heartbeat;
  private final List<Path> created;

  private DirectoryLock(
      FileSystem fs, Path file, String token, Duration staleAfter, List<Path> created) {
    this.fs = fs;
    this.file = file;
    this.token = token;
    this.created = created;
    long periodMs = Math.max(250, staleAfter.toMillis() / 4);
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sparknmt-lock-heartbeat " + file);
              t.setDaemon(true);
              return t;
            });
    heartbeat.scheduleAtFixedRate(this::beat, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lock on {@code dir} (created if missing).
   *
   * @param purpose what the holder does, shown to whoever finds the lock taken (e.g. "train run")
   * @param staleAfter heartbeat age after which the holder is taken for dead
   * @param breakStale take over a stale lock instead of failing
   * @throws LockedError naming the holder when the lock is taken (or stale and not to be broken)
   */
  public static DirectoryLock acquire(
      URI dir, Configuration conf, String purpose, Duration staleAfter, boolean breakStale) {
    FileSystem fs = HadoopFiles.fileSystem(dir, conf);
    Path d = HadoopFiles.qualified(fs, dir);
    Path file = new Path(d, FILE);
    String token = UUID.randomUUID().toString();
    try {
      byte[] holder = holderJson(purpose, token);
      List<Path> created = missingDirectories(fs, d);
      HadoopFiles.mkdirs(fs, d);
      for (int attempt = 0; attempt < 2; attempt++) {
        if (createExclusively(fs, file, holder)) {
          LOG.info("locked {} ({})", d, purpose);
          return new DirectoryLock(fs, file, token, staleAfter, created);
        }
        Holder other = readWhenWritten(fs, file);
        if (other == null) {
          continue; // released between our create and our read: try once more
        }
        Duration age = Duration.between(other.heartbeat, Instant.now());
        if (other.isDeadOnThisMachine()) {
          // e.g. a driver killed a moment ago and re-run on the same machine: safe to take over
          LOG.warn("taking over the lock of {}: its holder is gone: {}", d, other.describe(age));
          fs.delete(file, false);
          continue;
        }
        boolean stale = age.compareTo(staleAfter) > 0;
        if (stale && breakStale) {
          LOG.warn("breaking the stale lock of {}: {}", d, other.describe(age));
          fs.delete(file, false);
          continue;
        }
        throw new LockedError(
            d
                + " is locked by "
                + other.describe(age)
                + (stale
                    ? "; its heartbeat is older than "
                        + staleAfter.toSeconds()
                        + " s, so the holder is probably dead: to take the lock over, rerun with"
                        + " --set sparknmt.lock.break-stale=true"
                    : "; wait for it to finish (or stop it)"));
      }
      throw new LockedError(d + " is being locked and unlocked by another job; try again");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + d, e);
    }
  }

  /**
   * The holder of {@code file}, waiting up to {@link #WRITE_WAIT} while its record is still being
   * written: the lock exists from the moment its creator's {@code create} succeeds, its content
   * only once the creator closes it (HDFS shows an open file as empty), so a job that loses the
   * race by milliseconds would otherwise name an unknown holder.
   */
  private static Holder readWhenWritten(FileSystem fs, Path file) throws IOException {
    long deadline = System.nanoTime() + WRITE_WAIT.toNanos();
    try {
      while (HadoopFiles.readString(fs, file).isBlank() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    } catch (FileNotFoundException e) {
      return null; // released meanwhile
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while reading " + file);
    }
    return Holder.read(fs, file);
  }

  /** {@code dir} and those of its ancestors that do not exist, deepest first. */
  private static List<Path> missingDirectories(FileSystem fs, Path dir) throws IOException {
    List<Path> missing = new ArrayList<>();
    for (Path p = dir; p != null && !fs.exists(p); p = p.getParent()) {
      missing.add(p);
    }
    return missing;
  }

  /** Deletes the directories the lock created, deepest first, while they are empty. */
  private void removeCreatedDirectories() {
    try {
      for (Path dir : created) {
        FileStatus[] children = fs.listStatus(dir);
        if (children.length > 0 || !fs.delete(dir, false)) {
          return;
        }
      }
    } catch (IOException e) {
      LOG.warn("could not remove the directories the lock created: {}", e.toString());
    }
  }

  /** Creates {@code file} with {@code content} unless it exists; false if it exists. */
  private static boolean createExclusively(FileSystem fs, Path file, byte[] content)
      throws IOException {
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      // RawLocalFileSystem.create(overwrite=false) checks, then creates: not atomic
      java.nio.file.Path local = java.nio.file.Path.of(file.toUri());
      try {
        Files.createFile(local);
      } catch (FileAlreadyExistsException e) {
        return false;
      }
      Files.write(local, content);
      return true;
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(content);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(file)) { // HDFS reports a lost create race as AlreadyBeingCreated/exists
        return false;
      }
      throw e;
    }
  }

  private static byte[] holderJson(String purpose, String token) throws IOException {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("purpose", purpose);
    h.put("user", System.getProperty("user.name"));
    h.put("host", hostName());
    h.put("machine", machineId());
    h.put("pid", ProcessHandle.current().pid());
    h.put("pidStarted", processStart(ProcessHandle.current()));
    h.put("started", Instant.now().toString());
    h.put("token", token);
    return JSON.writeValueAsBytes(h);
  }

  /** When the process started (to tell a reused pid from the holder), or "" if unknown. */
  private static String processStart(ProcessHandle p) {
    return p.info().startInstant().map(Instant::toString).orElse("");
  }

  /**
   * This boot of this machine (Linux: the kernel's boot id), "" where unknown. Host names repeat
   * across machines (containers, images), so a process table is consulted only for a holder that
   * recorded the same boot id.
   */
  static String machineId() {
    try {
      return Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id")).trim();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  private void beat() {
    try {
      fs.setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      LOG.warn("lock heartbeat on {} failed: {}", file, e.toString());
    }
  }

  /** Stops the heartbeat and deletes the lock file if it is still this holder's. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    try {
      Holder h = Holder.read(fs, file);
      if (h != null && token.equals(h.token)) {
        fs.delete(file, false);
        LOG.info("unlocked {}", file.getParent());
        removeCreatedDirectories(); // a lock on a directory nothing was written to leaves no trace
      } else {
        LOG.warn("lock {} is no longer ours (broken by another job?): left alone", file);
      }
    } catch (IOException e) {
      LOG.warn("cannot release lock {}: {}", file, e.toString());
    }
  }

  /** Who holds a lock, read from its file; the heartbeat is the file's modification time. */
  private record Holder(
      String purpose,
      String user,
      String host,
      String machine,
      long pid,
      String pidStarted,
      String started,
      String token,
      Instant heartbeat) {
    /**
     * True if the holder ran on this machine (same host name and boot id) and its process no longer
     * exists (or its pid now belongs to a process that started later). A holder elsewhere, or one
     * whose machine is unknown, is never judged from here.
     */
    boolean isDeadOnThisMachine() {
      if (pid <= 0
          || machine.isEmpty()
          || !machine.equals(machineId())
          || !host.equals(hostName())) {
        return false;
      }
      var process = ProcessHandle.of(pid);
      return process.isEmpty()
          || (!pidStarted.isEmpty() && !pidStarted.equals(processStart(process.get())));
    }

    static Holder read(FileSystem fs, Path file) throws IOException {
      try {
        FileStatus st = fs.getFileStatus(file);
        String text = HadoopFiles.readString(fs, file);
        JsonNode n = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        return new Holder(
            n.path("purpose").asText("?"),
            n.path("user").asText("?"),
            n.path("host").asText("?"),
            n.path("machine").asText(""),
            n.path("pid").asLong(-1),
            n.path("pidStarted").asText(""),
            n.path("started").asText("?"),
            n.path("token").asText(""),
            Instant.ofEpochMilli(st.getModificationTime()));
      } catch (FileNotFoundException e) {
        return null;
      }
    }

    String describe(Duration heartbeatAge) {
      return String.format(
          "%s of %s@%s (pid %d), started %s, last heartbeat %d s ago",
          purpose, user, host, pid, started, heartbeatAge.toSeconds());
    }
  }
}
