package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deploy scripts pass a Kerberos principal and keytab on to the job, and the cluster's Hadoop
 * configuration ({@code HADOOP_CONF_DIR}) onto the driver's classpath. The scripts run for real
 * against a stand-in {@code java} that records the command it was given (an IT: it needs the
 * application jar and the Spark home that {@code package} builds).
 */
class DeployScriptsKerberosIT {
  private static final Path REPO =
      Path.of(System.getProperty("sparknmt.repo", "..")).toAbsolutePath();

  @TempDir Path dir;
  private Path bin;
  private Path recorded;
  private Path hadoopConf;

  @BeforeEach
  void fakeJava() throws IOException {
    bin = Files.createDirectories(dir.resolve("bin"));
    recorded = dir.resolve("java-args.txt");
    hadoopConf = Files.createDirectories(dir.resolve("hadoop-conf"));
    // JvmOptions is asked for the build's Java options; any other command is recorded
    executable(
        bin.resolve("java"),
        "#!/usr/bin/env bash\n"
            + "if [ \"${*: -1}\" = org.sparknmt.jobs.JvmOptions ]; then echo -Dsparknmt.stand-in=1;"
            + " exit 0; fi\n"
            + "printf '%s\\n' \"$@\" > \"$RECORD\"\n");
    executable(bin.resolve("mvn"), "#!/usr/bin/env bash\necho 'no build here' >&2; exit 97\n");
  }

  private static void executable(Path file, String script) throws IOException {
    Files.writeString(file, script);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private record Result(int exit, String err, List<String> javaArgs) {}

  private Result run(String script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", REPO.resolve(script).toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    Map<String, String> env = pb.environment();
    env.put("PATH", bin + ":" + env.get("PATH"));
    env.put("RECORD", recorded.toString());
    env.put("HADOOP_CONF_DIR", hadoopConf.toString());
    env.remove("SPARK_HOME");
    Path err = dir.resolve("stderr.txt");
    pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), script + " did not finish");
    List<String> javaArgs =
        Files.exists(recorded) ? Files.readAllLines(recorded, StandardCharsets.UTF_8) : List.of();
    Files.deleteIfExists(recorded);
    return new Result(p.exitValue(), Files.readString(err), javaArgs);
  }

  @Test
  void runPipelineTurnsPrincipalAndKeytabIntoSparkKerberosProperties() throws Exception {
    Result r =
        run(
            "deploy/run-pipeline.sh",
            "--principal",
            "alice@EXAMPLE.COM",
            "--set",
            "sparknmt.train.epochs=1",
            "--keytab",
            "/etc/security/alice.keytab");
    assertEquals(0, r.exit(), r.err());
    List<String> a = r.javaArgs();
    assertTrue(a.contains("-Dspark.kerberos.principal=alice@EXAMPLE.COM"), a.toString());
    assertTrue(a.contains("-Dspark.kerberos.keytab=/etc/security/alice.keytab"), a.toString());
    assertTrue(a.get(a.indexOf("-cp") + 1).startsWith(hadoopConf + ":"), a.toString());
    // the job's own arguments arrive without them
    List<String> job = a.subList(a.indexOf("org.sparknmt.jobs.PipelineJob") + 1, a.size());
    assertFalse(job.contains("--principal") || job.contains("--keytab"), job.toString());
    assertEquals(
        List.of("--set", "sparknmt.train.epochs=1"), job.subList(job.size() - 2, job.size()));
  }

  @Test
  void sparkSubmitPassesPrincipalAndKeytabToSparkSubmitAndChecksTheKeytab() throws Exception {
    Path keytab = Files.writeString(dir.resolve("alice.keytab"), "stand-in");
    Result r =
        run(
            "deploy/spark-submit.sh",
            "--master",
            "local[1]",
            "--principal",
            "alice@EXAMPLE.COM",
            "--keytab",
            keytab.toString(),
            "--class",
            "org.sparknmt.jobs.DoctorJob",
            "--path",
            "/tmp");
    assertEquals(0, r.exit(), r.err());
    List<String> a = r.javaArgs();
    int submit = a.indexOf("org.apache.spark.deploy.SparkSubmit");
    int mainClass = a.indexOf("org.sparknmt.jobs.DoctorJob");
    assertTrue(submit > 0 && mainClass > submit, a.toString());
    assertEquals("alice@EXAMPLE.COM", a.get(a.indexOf("--principal") + 1));
    assertEquals(keytab.toString(), a.get(a.indexOf("--keytab") + 1));
    assertTrue(a.indexOf("--keytab") < mainClass, "spark-submit options come before --class");
    assertTrue(
        List.of(a.get(a.indexOf("-cp") + 1).split(":")).contains(hadoopConf.toString()),
        "HADOOP_CONF_DIR on the driver's class path: " + a);

    Result missing =
        run(
            "deploy/spark-submit.sh",
            "--master",
            "local[1]",
            "--principal",
            "alice@EXAMPLE.COM",
            "--keytab",
            dir.resolve("no-such.keytab").toString(),
            "--class",
            "org.sparknmt.jobs.DoctorJob");
    assertEquals(2, missing.exit(), missing.err());
    assertEquals(
        List.of(
            "error: Kerberos keytab "
                + dir.resolve("no-such.keytab")
                + " (--keytab / spark.kerberos.keytab) does not exist or is not readable"),
        missing.err().lines().toList());
    assertEquals(List.of(), missing.javaArgs(), "nothing submitted");
  }
}
