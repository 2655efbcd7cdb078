package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
  @Test
  void javaOptionsContainSparksModuleOptions() {
    List<String> ours = Arrays.asList(BuildInfo.javaOptions().split("\\s+"));
    for (String opt : JavaModuleOptions.defaultModuleOptions().split("\\s+")) {
      assertTrue(ours.contains(opt), "missing Spark module option " + opt);
    }
  }

  @Test
  void javaOptionsSetTheOfflineTimeSource() {
    assertTrue(
        BuildInfo.javaOptions()
            .contains(
                "-Dorg.deeplearning4j.spark.time.TimeSource="
                    + "org.deeplearning4j.spark.time.SystemClockTimeSource"));
  }

  @Test
  void versionsAreFilteredFromThePom() {
    assertEquals("3.5.9", BuildInfo.get("spark.version"));
    assertEquals("3.3.4", BuildInfo.get("hadoop.version"));
    assertEquals("1.0.0-M2.1", BuildInfo.get("dl4j.version"));
  }

  @Test
  void theTestJvmRunsWithTheSameOptions() {
    // Surefire's argLine is built from the same POM property.
    assertEquals(
        "org.deeplearning4j.spark.time.SystemClockTimeSource",
        System.getProperty("org.deeplearning4j.spark.time.TimeSource"));
  }
}
