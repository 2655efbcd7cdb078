package org.sparknmt.jobs.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.BuildInfo;

class JvmReportTest {
  @Test
  void namesTheBuildsJavaOptionsAJvmWasStartedWithout() {
    List<String> all = new ArrayList<>(Arrays.asList(BuildInfo.javaOptions().split(" ")));
    all.add(0, "-Xmx1g");
    assertEquals("none", JvmReport.missingBuildOptions(all));

    all.remove("--add-modules=jdk.incubator.vector");
    all.remove("-Dorg.deeplearning4j.spark.time.TimeSource=" + SYSTEM_CLOCK);
    assertEquals(
        "--add-modules=jdk.incubator.vector -Dorg.deeplearning4j.spark.time.TimeSource="
            + SYSTEM_CLOCK,
        JvmReport.missingBuildOptions(all));
  }

  private static final String SYSTEM_CLOCK = "org.deeplearning4j.spark.time.SystemClockTimeSource";
}
