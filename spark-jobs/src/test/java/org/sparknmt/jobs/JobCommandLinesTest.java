package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.prep.PrepareJob;
import picocli.CommandLine;

/** Every spark-submit entry point has a valid command line (no clashing options) and --help. */
class JobCommandLinesTest {
  private static final List<Callable<Integer>> JOBS =
      List.of(
          new DoctorJob(),
          new PrepareJob(),
          new TrainJob(),
          new EvaluateJob(),
          new TranslateJob(),
          new PipelineJob(),
          new RetrainJob(),
          new org.sparknmt.jobs.bench.TrainBenchJob());

  @Test
  void everyJobBuildsItsCommandLineAndPrintsHelp() {
    for (Callable<Integer> job : JOBS) {
      assertDoesNotThrow(() -> new CommandLine(job), job.getClass().getName());
      assertEquals(0, new CommandLine(job).execute("--help"), job.getClass().getName());
    }
  }
}
