package org.sparknmt.jobs.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparknmt.jobs.UserError;

/**
 * Checks that the job can use a Hadoop file system location the way training does: in a fresh
 * hidden directory under the given URI it writes, reads back, has the executors read and write
 * (Spark's output commit renames files), renames and deletes. Any failing step is a {@link
 * UserError} naming the URI, the step and the cause; the directory is removed in every case.
 */
public final class FsCheck {
  private static final int EXECUTOR_LINES = 100;

  private final JavaSparkContext jsc;
  private final PrintWriter out;

  public FsCheck(JavaSparkContext jsc, PrintWriter out) {
    this.jsc = jsc;
    this.out = out;
  }

  /** Parses a {@code --path} argument; scheme-less paths use {@code fs.defaultFS}. */
  public static URI parse(String path) {
    try {
      URI uri = new URI(path);
      if (uri.getPath() == null || uri.getPath().isEmpty()) {
        throw new UserError("--path " + path + ": the URI has no path (e.g. hdfs://host:port/tmp)");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new UserError("--path " + path + " is not a valid URI: " + e.getMessage(), e);
    }
  }

  /** Runs every step on {@code uri}; prints one line per step. */
  public void check(URI uri) {
    Configuration conf = jsc.hadoopConfiguration();
    FileSystem fs =
        step(uri, "open the file system of", uri.toString(), () -> FileSystem.get(uri, conf));
    Path base = fs.makeQualified(new Path(uri));
    Path dir = new Path(base, ".sparknmt-doctor-" + UUID.randomUUID());
    String expected = "sparknmt doctor " + dir + "\n";
    try {
      step(
          uri, "create directory", dir, () -> requireTrue(fs.mkdirs(dir), "mkdirs returned false"));
      Path file = new Path(dir, "probe.txt");
      step(
          uri,
          "write",
          file,
          () -> {
            try (OutputStream os = fs.create(file, false)) {
              os.write(expected.getBytes(StandardCharsets.UTF_8));
            }
            return null;
          });
      step(
          uri,
          "read back",
          file,
          () -> {
            try (InputStream in = fs.open(file)) {
              String got = new String(in.readAllBytes(), StandardCharsets.UTF_8);
              return requireTrue(
                  expected.equals(got), "read '" + got + "', wrote '" + expected + "'");
            }
          });
      step(
          uri,
          "read on the executors",
          file,
          () -> {
            List<String> lines = jsc.textFile(file.toString()).collect();
            return requireTrue(lines.equals(List.of(expected.strip())), "executors read " + lines);
          });
      Path sparkOut = new Path(dir, "spark-output");
      step(
          uri,
          "write from the executors (Spark output commit)",
          sparkOut,
          () -> {
            List<Integer> data = IntStream.range(0, EXECUTOR_LINES).boxed().toList();
            jsc.parallelize(data, Math.max(2, jsc.defaultParallelism()))
                .saveAsTextFile(sparkOut.toString());
            long n = jsc.textFile(sparkOut.toString()).count();
            return requireTrue(
                n == EXECUTOR_LINES, "wrote " + EXECUTOR_LINES + " lines, read " + n);
          });
      Path renamed = new Path(dir, "probe-renamed.txt");
      step(
          uri,
          "rename",
          file + " -> " + renamed,
          () ->
              requireTrue(
                  fs.rename(file, renamed) && fs.exists(renamed) && !fs.exists(file),
                  "rename did not take effect"));
      step(
          uri,
          "delete",
          dir,
          () -> requireTrue(fs.delete(dir, true) && !fs.exists(dir), "directory still exists"));
      out.println("fs " + uri + ": all checks passed");
      out.flush();
    } finally {
      try {
        if (fs.exists(dir)) {
          fs.delete(dir, true);
        }
      } catch (IOException | RuntimeException e) {
        out.println("fs " + uri + ": could not remove " + dir + ": " + e);
      }
    }
  }

  private interface Step<T> {
    T run() throws Exception;
  }

  private <T> T step(URI uri, String what, Object target, Step<T> step) {
    long t0 = System.nanoTime();
    T result;
    try {
      result = step.run();
    } catch (Exception e) {
      throw new UserError(
          "filesystem check failed for "
              + uri
              + ": could not "
              + what
              + " "
              + target
              + ": "
              + rootMessage(e),
          e);
    }
    out.printf("fs %s: %s ok (%d ms)%n", uri, what, (System.nanoTime() - t0) / 1_000_000);
    out.flush();
    return result;
  }

  private static Boolean requireTrue(boolean ok, String problem) throws IOException {
    if (!ok) {
      throw new IOException(problem);
    }
    return Boolean.TRUE;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("");
    return root.getClass().getSimpleName() + (msg.isEmpty() ? "" : ": " + msg);
  }
}
