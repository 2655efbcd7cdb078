package org.sparknmt.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Starting child JVMs with a log file each, and stopping a process together with its children. */
final class Processes {
  private static final Duration GRACE = Duration.ofSeconds(15);

  private Processes() {}

  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts {@code command} with stdout and stderr appended to {@code log}. */
  static Process start(List<String> command, Map<String, String> env, Path workDir, Path log)
      throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.directory(workDir.toFile());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Files.writeString(
        log,
        "# " + String.join(" ", command) + System.lineSeparator(),
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    return pb.start();
  }

  /**
   * Runs {@code command} to completion (or kills it after {@code timeout}) and returns its exit
   * code; output goes to {@code log} and, if {@code echo} is not null, also to {@code echo}.
   */
  static int run(
      List<String> command,
      Map<String, String> env,
      Path workDir,
      Path log,
      Duration timeout,
      OutputStream echo)
      throws IOException {
    Process p;
    Thread pump = null;
    if (echo == null) {
      p = start(command, env, workDir, log);
    } else {
      Files.createDirectories(log.getParent());
      ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
      pb.environment().putAll(env);
      pb.redirectErrorStream(true);
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      p = pb.start();
      Process proc = p;
      pump =
          new Thread(
              () -> {
                try (InputStream in = proc.getInputStream();
                    OutputStream file = Files.newOutputStream(log)) {
                  byte[] buf = new byte[8192];
                  for (int n; (n = in.read(buf)) > 0; ) {
                    file.write(buf, 0, n);
                    echo.write(buf, 0, n);
                  }
                  echo.flush();
                } catch (IOException e) {
                  // the process ended or the log is gone; the exit code still tells the result
                }
              },
              "output-of-" + log.getFileName());
      pump.start();
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stopTree(p.toHandle());
        throw new IOException(
            "timed out after " + timeout.toSeconds() + " s: " + command + "; see " + log);
      }
      if (pump != null) {
        pump.join(10_000);
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      stopTree(p.toHandle());
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
  }

  /**
   * The live process {@code pid} if its command line still mentions {@code marker} (so that a
   * recycled pid is never killed by mistake).
   */
  static Optional<ProcessHandle> find(long pid, String marker) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(h -> commandLine(h).contains(marker));
  }

  private static String commandLine(ProcessHandle h) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
      return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException | RuntimeException e) {
      return h.info().commandLine().orElse("");
    }
  }

  /**
   * Stops the descendants of {@code process} (executor and driver JVMs a Worker forked) and then
   * the process: SIGTERM, and SIGKILL for whatever is still alive after a grace period.
   */
  static void stopTree(ProcessHandle process) {
    List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
    terminate(children);
    terminate(List.of(process));
  }

  private static void terminate(List<ProcessHandle> handles) {
    for (ProcessHandle h : handles) {
      h.destroy();
    }
    long deadline = System.nanoTime() + GRACE.toNanos();
    for (ProcessHandle h : handles) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        }
      } catch (Exception e) {
        // fall through to the forced kill
      }
      if (h.isAlive()) {
        h.destroyForcibly();
        try {
          h.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // nothing more we can do; it is reported by the caller's status check
        }
      }
    }
  }

  /** The last {@code lines} lines of {@code log}, for error messages. */
  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(
          System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
