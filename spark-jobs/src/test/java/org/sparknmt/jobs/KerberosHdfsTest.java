package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.authentication.util.KerberosName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.prep.PrepareJob;

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
    UserGroupInformation.reset();
    hdfs = SecureHdfs.start(new File("target/kerberos-hdfs").getAbsoluteFile(), "alice");
    KerberosName.resetDefaultRealm(); // the KDC's realm, not one cached before krb5.conf existed
    alice = hdfs.userFileSystem();
    home = hdfs.uri + "/user/alice";
    StringBuilder src = new StringBuilder();
    StringBuilder tgt = new StringBuilder();
    String[] w = {"in", "the", "beginning", "God", "created", "heaven", "earth", "light"};
    for (int i = 0; i < 120; i++) {
      List<String> s = new ArrayList<>();
      List<String> t = new ArrayList<>();
      for (int k = 0; k < 3 + i % 7; k++) {
        s.add(w[(i * 7 + k * 3) % w.length]);
        t.add("es_" + w[(i * 7 + k * 3) % w.length]);
      }
      src.append(String.join(" ", s)).append(' ').append(i).append('\n');
      tgt.append(String.join(" ", t)).append(' ').append(i).append('\n');
    }
    write(home + "/in/train.src", src.toString());
    write(home + "/in/train.tgt", tgt.toString());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (alice != null) {
        alice.close();
      }
      if (hdfs != null) {
        hdfs.close();
      }
    } finally {
      UserGroupInformation.reset(); // later tests in this JVM get Hadoop's default, no login
      KerberosName.resetDefaultRealm();
      System.clearProperty("java.security.krb5.conf"); // set by MiniKdc, not cleared by it
      System.clearProperty("sun.security.krb5.disableReferrals");
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

  private static void write(String path, String content) throws Exception {
    try (OutputStream out = alice.create(new Path(path), true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static CapturedRun prepare(String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--source",
                home + "/in/train.src",
                "--target",
                home + "/in/train.tgt",
                "--out",
                out,
                "--set",
                "sparknmt.spark.master=\"local[1]\"",
                "--set",
                "sparknmt.bpe.vocab-size=300",
                "--set",
                "sparknmt.shard.batch-tokens=0",
                "--set",
                "sparknmt.shard.batch-size-per-worker=16"));
    // the cluster's client configuration (core-site.xml/hdfs-site.xml on a real cluster)
    for (Map.Entry<String, String> e : hdfs.clientSparkConf().entrySet()) {
      args.add("--set");
      args.add("sparknmt.spark.conf.\"" + e.getKey() + "\"=\"" + e.getValue() + "\"");
    }
    args.addAll(List.of(extra));
    CapturedRun run = CapturedRun.of(new PrepareJob(), args);
    try { // for whoever debugs this test: next to the HDFS log
      Files.writeString(hdfs.dir().toPath().resolve(new Path(out).getName() + ".out"), run.out());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return run;
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
