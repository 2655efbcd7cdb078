package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The way an operator runs a job on a Kerberized cluster: {@code deploy/spark-submit.sh --principal
 * P --keytab FILE} with the cluster's client configuration in {@code HADOOP_CONF_DIR}, the
 * application jar, a driver JVM of its own (Spark local mode, where spark-submit itself logs in and
 * the job finds the login done). Scheme-less paths resolve to the secure HDFS through {@code
 * core-site.xml}.
 */
class KerberosSubmitIT {
  private static final Path REPO =
      Path.of(System.getProperty("sparknmt.repo", "..")).toAbsolutePath();

  private static SecureHdfs hdfs;
  private static FileSystem alice;
  private static File hadoopConf;

  @BeforeAll
  static void start() throws Exception {
    File dir = new File("target/kerberos-submit").getAbsoluteFile();
    hdfs = SecureHdfs.start(dir, "alice");
    alice = hdfs.userFileSystem();
    KerberizedPrepare.writeCorpus(alice, "/user/alice/in");

    // the cluster's client configuration, as HADOOP_CONF_DIR holds it
    hadoopConf = new File(dir, "hadoop-conf");
    hadoopConf.mkdirs();
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", hdfs.uri.toString());
    Configuration site = new Configuration(false);
    for (Map.Entry<String, String> e : hdfs.clientSparkConf().entrySet()) {
      String key = e.getKey().substring("spark.hadoop.".length());
      (key.startsWith("hadoop.") ? core : site).set(key, e.getValue());
    }
    try (OutputStream out = Files.newOutputStream(new File(hadoopConf, "core-site.xml").toPath())) {
      core.writeXml(out);
    }
    try (OutputStream out = Files.newOutputStream(new File(hadoopConf, "hdfs-site.xml").toPath())) {
      site.writeXml(out);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (hdfs != null) {
      hdfs.close(); // with `alice`, and this JVM's Kerberos state as before
    }
  }

  private record Submitted(int exit, String err) {}

  private static Submitted submit(String out, String... kerberos) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("bash", REPO.resolve("deploy/spark-submit.sh").toString()));
    command.addAll(List.of("--master", "local[1]"));
    command.addAll(List.of(kerberos));
    command.addAll(List.of("--class", "org.sparknmt.jobs.prep.PrepareJob"));
    command.addAll(KerberizedPrepare.arguments("/user/alice/in", out));
    ProcessBuilder pb = new ProcessBuilder(command).directory(hdfs.dir());
    Map<String, String> env = pb.environment();
    env.remove("SPARK_HOME");
    env.put("HADOOP_CONF_DIR", hadoopConf.getPath());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put(
        "JAVA_TOOL_OPTIONS",
        "-Djava.security.krb5.conf="
            + System.getProperty("java.security.krb5.conf")
            + " -Dsun.security.krb5.disableReferrals=true");
    File err = new File(hdfs.dir(), new File(out).getName() + ".err");
    pb.redirectErrorStream(false)
        .redirectError(err)
        .redirectOutput(new File(hdfs.dir(), new File(out).getName() + ".out"));
    Process p = pb.start();
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in 600 s");
    }
    return new Submitted(p.exitValue(), Files.readString(err.toPath()));
  }

  @Test
  void sparkSubmitWithPrincipalAndKeytabRunsAJobOnTheSecureHdfs() throws Exception {
    Submitted run =
        submit(
            "/user/alice/submitted",
            "--principal",
            hdfs.userPrincipal,
            "--keytab",
            hdfs.userKeytab.getPath());
    assertEquals(0, run.exit(), run.err());
    org.apache.hadoop.fs.Path manifest =
        new org.apache.hadoop.fs.Path("/user/alice/submitted/shards/manifest.json");
    assertTrue(alice.exists(manifest), run.err());
    assertEquals("alice", alice.getFileStatus(manifest).getOwner());
  }

  @Test
  void sparkSubmitWithoutCredentialsIsOneLineAndExitTwo() throws Exception {
    Submitted run = submit("/user/alice/refused");
    assertEquals(2, run.exit(), run.err());
    List<String> errors = run.err().lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).contains("requires Kerberos authentication"), errors.get(0));
    assertFalse(run.err().contains("\tat "), run.err());
    assertFalse(alice.exists(new org.apache.hadoop.fs.Path("/user/alice/refused")));
  }
}
