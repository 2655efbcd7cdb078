package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparknmt.jobs.config.Settings;
import picocli.CommandLine;

/**
 * The schedule templates in {@code deploy/schedule/} name only what exists in this build: the job
 * classes, RetrainJob's options, {@code sparknmt.*} configuration keys, the build's Java options
 * (or deploy/spark-submit.sh, which adds them, or the sparknmt image, which carries them), the
 * application jar's name and the Spark version.
 */
class ScheduleTemplatesTest {
  private static final Path SCHEDULES =
      Path.of(System.getProperty("sparknmt.repo", "..")).resolve("deploy/schedule");

  /** spark-submit's own options that the templates use before {@code --class}. */
  private static final Set<String> SPARK_SUBMIT_OPTIONS =
      Set.of(
          "--master",
          "--deploy-mode",
          "--driver-memory",
          "--executor-memory",
          "--num-executors",
          "--executor-cores",
          "--conf",
          "--class",
          "--queue",
          "--principal",
          "--keytab");

  @ParameterizedTest
  @ValueSource(strings = {"retrain.cron", "retrain_dag.py", "retrain-scheduled.yaml"})
  void namesOnlyWhatTheBuildHas(String template) throws Exception {
    String text = Files.readString(SCHEDULES.resolve(template));
    Matcher classes = Pattern.compile("org\\.sparknmt\\.jobs\\.[A-Za-z]+").matcher(text);
    List<String> found = new ArrayList<>();
    while (classes.find()) {
      found.add(classes.group());
      Class<?> main = Class.forName(classes.group());
      main.getMethod("main", String[].class); // a job with an entry point
    }
    assertTrue(found.contains("org.sparknmt.jobs.RetrainJob"), template + " runs RetrainJob");

    CommandLine.Model.CommandSpec retrain = new CommandLine(new RetrainJob()).getCommandSpec();
    String withoutJvmOptions = text.replace(BuildInfo.javaOptions(), "");
    Matcher options = Pattern.compile("(?<![\\w-])--[a-z][a-z-]*").matcher(withoutJvmOptions);
    while (options.find()) {
      String option = options.group();
      if (retrain.findOption(option) == null && !SPARK_SUBMIT_OPTIONS.contains(option)) {
        fail(template + " uses " + option + ", which neither RetrainJob nor spark-submit has");
      }
    }
    for (String required :
        List.of("--snapshot", "--test-source", "--test-target", "--work", "--models")) {
      assertTrue(text.contains(required), template + " gives " + required);
    }

    Matcher keys = Pattern.compile("sparknmt\\.[a-z][a-z.-]*[a-z](?==)").matcher(text);
    Settings defaults = Settings.defaults();
    while (keys.find()) {
      assertTrue(defaults.has(keys.group()), template + " sets an unknown key " + keys.group());
    }

    if (text.contains("deploy/spark-submit.sh")) {
      assertTrue(Files.isRegularFile(SCHEDULES.resolve("../spark-submit.sh")));
    } else if (text.contains("kind: ScheduledSparkApplication")) {
      // the sparknmt image carries the Java options (KubernetesManifestsTest checks the rest)
      assertTrue(text.contains("deploy/k8s/Dockerfile"), template + " names the image it runs");
      assertFalse(text.contains("javaOptions"), template + ": the image carries the Java options");
    } else {
      assertTrue(
          text.contains(BuildInfo.javaOptions()),
          template + " carries the build's Java options: " + BuildInfo.javaOptions());
      assertFalse(text.contains("spark.driver.extraJavaOptions=-"), "one source for the options");
      assertTrue(text.contains("sparknmt-app.jar"), template + " names the application jar");
    }
    Matcher sparkVersion = Pattern.compile("sparkVersion: \"([0-9.]+)\"").matcher(text);
    if (sparkVersion.find()) {
      assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), sparkVersion.group(1));
    }
  }

  @org.junit.jupiter.api.Test
  void everyTemplateIsTested() throws IOException {
    try (var files = Files.list(SCHEDULES)) {
      assertEquals(
          List.of("retrain-scheduled.yaml", "retrain.cron", "retrain_dag.py"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
