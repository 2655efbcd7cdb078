package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DoctorJob in local[2] mode against the local file system. */
class DoctorJobTest {
  @TempDir Path tmp;

  /** Exit code, stdout and stderr of one in-process run. */
  record Run(int exitCode, String out, String err) {}

  private static Run doctor(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int rc = Cli.execute(new DoctorJob(), args);
      return new Run(
          rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private static void assertLine(String out, String key, String value) {
    assertTrue(
        Pattern.compile("(?m)^\\s+" + Pattern.quote(key) + "\\s+= " + Pattern.quote(value) + "$")
            .matcher(out)
            .find(),
        key + " = " + value + " missing in\n" + out);
  }

  @Test
  void reportsTheRuntimeAndPassesOnAWritableDirectory() throws Exception {
    Run r = doctor("--path", tmp.toUri().toString(), "--set", "sparknmt.spark.master=local[2]");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("== driver (master local[2])"), r.out());
    assertLine(r.out(), "spark", "3.5.9");
    assertLine(r.out(), "hadoop", "3.3.4");
    assertLine(r.out(), "nd4j", "1.0.0-M2.1");
    assertLine(r.out(), "blas.vendor", "OPENBLAS");
    assertLine(r.out(), "env.OMP_NUM_THREADS", "1");
    // deploy/test.sh sets it from the CPU (deploy/native-env.sh); a plain mvn run may not
    assertLine(
        r.out(),
        "env.OPENBLAS_CORETYPE",
        System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)"));
    assertLine(r.out(), "jvm.options.missing", "none"); // Surefire's argLine has them
    assertTrue(!r.out().contains("blas.version             = 0.0.0"), r.out());
    assertTrue(r.out().contains("org.bytedeco:openblas 0.3."), r.out());
    assertTrue(r.out().contains("== executor driver"), r.out());
    for (String step :
        new String[] {
          "create directory ok",
          "write ok",
          "read back ok",
          "read on the executors ok",
          "write from the executors (Spark output commit) ok",
          "rename ok",
          "delete ok"
        }) {
      assertTrue(r.out().contains(step), step + " missing in\n" + r.out());
    }
    assertTrue(r.out().contains("doctor: all checks passed"), r.out());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(0, left.count(), "the doctor must leave nothing behind");
    }
  }

  @Test
  void failsWithOneMessageAndExit2OnAnUnwritablePath() throws Exception {
    // a directory cannot be created below a regular file, whoever runs the test (even root)
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    String target = file.toUri() + "/sub";
    Run r = doctor("--path", target, "--set", "sparknmt.spark.master=local[2]");
    assertEquals(Cli.EXIT_USER_ERROR, r.exitCode(), r.out() + r.err());
    assertTrue(
        r.err()
            .contains(
                "error: filesystem check failed for " + target + ": could not create directory"),
        r.err());
    assertTrue(!r.out().contains("doctor: all checks passed"), r.out());
  }

  @Test
  void rejectsAnInvalidUriBeforeStartingSpark() {
    Run r = doctor("--path", "hdfs://bad host/x");
    assertEquals(Cli.EXIT_USER_ERROR, r.exitCode());
    assertTrue(r.err().contains("error: --path hdfs://bad host/x is not a valid URI"), r.err());
  }
}
