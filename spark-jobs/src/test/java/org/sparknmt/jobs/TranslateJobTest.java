package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.jobs.store.StoreFixtures;

/**
 * Bad input on the translation side (issue 14): each case is one line naming the problem, exit code
 * 2, and no output directory.
 */
class TranslateJobTest {
  @TempDir Path tmp;
  private Path bundle;

  /** Exit code and stderr of one in-process run. */
  record Run(int exitCode, String err) {}

  private static Run translate(String... args) {
    return run(new TranslateJob(), args);
  }

  private static Run run(Callable<Integer> job, String... args) {
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int rc = Cli.execute(job, args);
      return new Run(rc, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
    }
  }

  /** TranslateJob with the test bundle, in local[1]. */
  private Run translateWithBundle(String input, String output) {
    return translate(
        "--bundle",
        bundle.toUri().toString(),
        "--input",
        input,
        "--output",
        output,
        "--set",
        "sparknmt.spark.master=local[1]");
  }

  @BeforeEach
  void writeBundle() {
    ModelStore store = ModelStore.at(tmp.resolve("work").toUri(), new Configuration());
    bundle = Path.of(StoreFixtures.writeBundle(store, "default").uri());
  }

  private static void assertOneLineError(Run r, String expected) {
    assertEquals(Cli.EXIT_USER_ERROR, r.exitCode(), r.err());
    assertTrue(r.err().contains("error: ") && r.err().contains(expected), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
  }

  @Test
  void binaryInputIsRejectedWithFileAndLineBeforeAnythingIsWritten() throws Exception {
    byte[] noise = new byte[3000];
    new Random(7).nextBytes(noise);
    Path input = tmp.resolve("random.bin");
    Files.write(input, noise);
    Path out = tmp.resolve("out");
    Run r = translateWithBundle(input.toString(), out.toString());
    assertOneLineError(r, "random.bin line 1 is not valid UTF-8");
    assertFalse(Files.exists(out));
  }

  @Test
  void unknownSchemeAndUnreachableNameNodeAreOneLine() {
    String input = tmp.resolve("in.txt").toString();
    Run scheme = translateWithBundle(input, "hdfss://nn/out");
    assertOneLineError(scheme, "no file system for the scheme of hdfss://nn/out");
    // port 1 on localhost: connection refused (Hadoop retries 10 times, 1 s apart, then fails)
    Run down = translateWithBundle(input, "hdfs://127.0.0.1:1/out");
    assertOneLineError(down, "cannot reach a service the job needs");
  }

  @Test
  void modelsPointingAtTheWrongDirectorySaysWhereItLookedAndWhatExists() {
    Run r =
        translate(
            "--models", tmp.resolve("work").resolve("models").toUri().toString(),
            "--input", tmp.resolve("in.txt").toString(),
            "--output", tmp.resolve("out").toString(),
            "--set", "sparknmt.spark.master=local[1]");
    assertOneLineError(r, "no model named 'default'");
    assertTrue(r.err().contains("holds no models") || r.err().contains("models in"), r.err());
    assertTrue(r.err().contains("the directory that holds models/"), r.err());
  }

  @Test
  void connectionFailuresAnywhereInTheCauseChainAreUserErrors() {
    Exception wrapped = new RuntimeException("job failed", new ConnectException("refused"));
    assertEquals(Cli.EXIT_USER_ERROR, Cli.exitCode(wrapped));
    assertEquals(Cli.EXIT_FAILURE, Cli.exitCode(new IllegalStateException("bug")));
  }

  @Test
  void anOutputThatExistsIsRefusedAndLeftAsItWas() throws Exception {
    Path input = tmp.resolve("in.txt");
    Files.writeString(input, "in the beginning\n");
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "earlier results\n");

    assertOneLineError(translateWithBundle(input.toString(), out.toString()), "already exists");
    Run evaluate =
        run(
            new EvaluateJob(),
            "--bundle",
            bundle.toUri().toString(),
            "--source",
            input.toUri().toString(),
            "--reference",
            input.toUri().toString(),
            "--out",
            out.toUri().toString(),
            "--set",
            "sparknmt.spark.master=local[1]");
    assertOneLineError(evaluate, "already exists");
    try (var files = Files.list(out)) {
      assertEquals(List.of("keep.txt"), files.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals("earlier results\n", Files.readString(out.resolve("keep.txt")));
  }
}
