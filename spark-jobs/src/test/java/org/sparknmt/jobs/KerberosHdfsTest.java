package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.InputStream;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A job on a Kerberized HDFS ({@link SecureHdfs}: MiniKdc + secure MiniDFSCluster), run in this JVM
 * through {@link Cli} in Spark local mode like spark-submit runs it: with the user's principal and
 * keytab ({@code spark.kerberos.principal}/{@code keytab} as system properties, what {@code
 * spark-submit --principal/--keytab} sets) it reads its input from and writes its output to the
 * secure HDFS; without them it stops with one line and exit 2.
 */
class KerberosHdfsTest {
  private static SecureHdfs hdfs;
  private static FileSystem alice;
  private static String home;

  @BeforeAll
  static void start() throws Exception {
    hdfs = SecureHdfs.start(new File("target/kerberos-hdfs").getAbsoluteFile(), "alice");
    alice = hdfs.userFileSystem();
    home = hdfs.uri + "/user/alice";
    KerberizedPrepare.writeCorpus(alice, home + "/in");
  }

  @AfterAll
  static void stop() throws Exception {
    if (hdfs != null) {
      hdfs.close(); // with `alice`, and this JVM's Kerberos state as before
    }
  }

  /** Each run starts like a new JVM: no Kerberos login yet. */
  @BeforeEach
  void noLogin() {
    UserGroupInformation.reset();
  }

  @AfterEach
  void clearSubmitProperties() {
    System.clearProperty(KerberosLogin.PRINCIPAL);
    System.clearProperty(KerberosLogin.KEYTAB);
  }

  private static CapturedRun prepare(String out, String... extra) {
    return KerberizedPrepare.run(hdfs, home + "/in", out, extra);
  }

  @Test
  void aJobGivenAPrincipalAndKeytabReadsAndWritesTheSecureHdfs() throws Exception {
    // what spark-submit --principal alice@EXAMPLE.COM --keytab alice.keytab sets for the driver
    System.setProperty(KerberosLogin.PRINCIPAL, hdfs.userPrincipal);
    System.setProperty(KerberosLogin.KEYTAB, hdfs.userKeytab.getPath());
    String out = home + "/prepared";
    CapturedRun run = prepare(out);
    assertEquals(0, run.exit(), run.out());

    JsonNode manifest;
    try (InputStream in = alice.open(new Path(out + "/shards/manifest.json"))) {
      manifest = new ObjectMapper().readTree(in);
    }
    assertEquals(120, manifest.get("corpusReport").get("pairs").get("input").asLong());
    assertTrue(manifest.get("train").get("batches").asLong() > 0, manifest.toString());
    // written as the principal's user, not as the OS user running the JVM
    assertEquals("alice", alice.getFileStatus(new Path(out + "/shards")).getOwner());
    assertEquals(hdfs.userPrincipal, UserGroupInformation.getLoginUser().getUserName());
  }

  @Test
  void withoutCredentialsTheJobStopsWithOneLineSayingHowToLogIn() throws Exception {
    String out = home + "/not-prepared";
    long start = System.nanoTime();
    CapturedRun run = prepare(out);
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;

    String error = oneErrorLine(run);
    assertTrue(error.contains("requires Kerberos authentication"), error);
    assertTrue(error.contains("--principal P --keytab FILE"), error);
    assertFalse(run.out().contains("\tat "), "no stack trace:\n" + run.out());
    assertFalse(alice.exists(new Path(out)), "nothing written");
    assertTrue(seconds < 120, "took " + seconds + " s");
  }

  @Test
  void aClientConfiguredWithoutKerberosIsRefusedByTheClusterInOneLine() throws Exception {
    // the job's Hadoop configuration says simple authentication: it cannot know it needs
    // credentials; the NameNode's refusal is the error
    String out = home + "/simple";
    CapturedRun run =
        prepare(
            out,
            "--set",
            "sparknmt.spark.conf.\"spark.hadoop.hadoop.security.authentication\"=simple");
    String error = oneErrorLine(run);
    assertTrue(error.startsWith("error: the cluster requires Kerberos authentication"), error);
    assertTrue(error.contains("SIMPLE authentication is not enabled"), error);
    assertFalse(run.out().contains("\tat "), "no stack trace:\n" + run.out());
    assertFalse(alice.exists(new Path(out)), "nothing written");
  }

  @Test
  void aKeytabWithoutThePrincipalsKeyIsOneLine() {
    System.setProperty(KerberosLogin.PRINCIPAL, "bob@" + hdfs.userPrincipal.split("@")[1]);
    System.setProperty(KerberosLogin.KEYTAB, hdfs.userKeytab.getPath());
    CapturedRun run = prepare(home + "/bob");
    String error = oneErrorLine(run);
    assertTrue(error.startsWith("error: Kerberos login as bob@"), error);
    assertTrue(error.contains("the keytab has no key for bob@"), error);
    assertFalse(run.out().contains("\tat "), run.out());
  }

  @Test
  void aMissingKeytabIsOneLine() {
    System.setProperty(KerberosLogin.PRINCIPAL, hdfs.userPrincipal);
    System.setProperty(KerberosLogin.KEYTAB, "/no/such/alice.keytab");
    CapturedRun run = prepare(home + "/missing");
    String error = oneErrorLine(run);
    assertTrue(
        error.startsWith("error: Kerberos keytab /no/such/alice.keytab (spark.kerberos.keytab)"),
        error);
  }

  /** Exit 2 and one line from "error:" to the end of the output (Spark's INFO log may precede). */
  private static String oneErrorLine(CapturedRun run) {
    assertEquals(Cli.EXIT_USER_ERROR, run.exit(), run.out());
    int at = run.out().indexOf("error: ");
    assertTrue(at >= 0, run.out());
    List<String> lines = run.out().substring(at).strip().lines().toList();
    assertEquals(1, lines.size(), run.out());
    return lines.get(0);
  }
}
