package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every job that trains reports a bad value of any section (data, model, training, decoding,
 * promotion, locks, storage) before Spark starts: exit 2, one line naming the key, nothing created
 * (the corpus is not even read).
 */
class EarlySettingsCheckTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({
    "pipeline, sparknmt.train.epochs=0, sparknmt.train.epochs",
    "pipeline, sparknmt.decode.beam-size=0, sparknmt.decode.beam-size",
    "train, sparknmt.train.model.dropout=2, sparknmt.train.model.dropout",
    "train, sparknmt.promotion.metric=ter, sparknmt.promotion.metric",
    "retrain, sparknmt.train.averaging-frequency=0, sparknmt.train.averaging-frequency",
    "retrain, sparknmt.retrain.init=magic, sparknmt.retrain.init",
    "train, sparknmt.train.model.d-model=0, sparknmt.train.model.d-model",
    "train, sparknmt.storage.umask=999, sparknmt.storage.umask",
    "pipeline, sparknmt.lock.stale-after-seconds=1, sparknmt.lock.stale-after-seconds",
    "retrain, sparknmt.data.filter.max-ratio=0.5, sparknmt.data.filter.max-ratio",
    "train, sparknmt.train.averaging=horovod, sparknmt.train.averaging",
  })
  void aBadValueFailsBeforeAnythingRuns(String job, String setting, String key) {
    Path work = tmp.resolve("work");
    String missing = tmp.resolve("no-such-input").toString();
    List<String> args = new ArrayList<>();
    Callable<Integer> command;
    switch (job) {
      case "pipeline" -> {
        command = new PipelineJob();
        for (String o :
            List.of(
                "--source",
                "--target",
                "--dev-source",
                "--dev-target",
                "--test-source",
                "--test-target")) {
          args.addAll(List.of(o, missing));
        }
        args.addAll(List.of("--work", work.toString()));
      }
      case "train" -> {
        command = new TrainJob();
        args.addAll(
            List.of(
                "--shards",
                missing,
                "--run",
                work.resolve("run").toString(),
                "--models",
                work.toString()));
      }
      default -> {
        command = new RetrainJob();
        args.addAll(List.of("--snapshot", missing));
        for (String o : List.of("--dev-source", "--dev-target", "--test-source", "--test-target")) {
          args.addAll(List.of(o, missing));
        }
        args.addAll(List.of("--work", work.toString(), "--models", work.toString()));
      }
    }
    args.addAll(List.of("--set", setting, "--set", "sparknmt.spark.master=local[1]"));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      rc = Cli.execute(command, args.toArray(String[]::new));
    } finally {
      System.setErr(oldErr);
    }
    String msg = err.toString(StandardCharsets.UTF_8);
    assertEquals(Cli.EXIT_USER_ERROR, rc, msg);
    assertTrue(msg.contains(key), msg);
    assertFalse(msg.contains("input not found"), "checked before the input is read: " + msg);
    assertFalse(Files.exists(work), "nothing created");
  }
}
