package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Date;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.LoginTickets;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job whose Kerberos login outlives its ticket: the KDC issues tickets valid for {@value
 * #LIFETIME} seconds; the login from the keytab is made before the job (as spark-submit makes it)
 * and the job starts after its ticket expired, as a training run of days reaches HDFS again after
 * its day-long ticket expired. What keeps it going is that Hadoop's IPC client, refused on a new
 * connection with an expired ticket, logs in again from the keytab ({@code
 * UserGroupInformation.reloginFromKeytab}). Every pause in the job closes its NameNode connection
 * here ({@code ipc.client.connection.maxidletime} 0.5 s), so each new one needs a valid ticket.
 */
class KerberosTicketExpiryTest {
  private static final int LIFETIME = 5;
  private static SecureHdfs hdfs;
  private static FileSystem alice;
  private static String home;

  @BeforeAll
  static void start() throws Exception {
    hdfs =
        SecureHdfs.start(
            new File("target/kerberos-hdfs-expiry").getAbsoluteFile(), "alice", LIFETIME);
    alice = hdfs.userFileSystem();
    home = hdfs.uri + "/user/alice";
    KerberizedPrepare.writeCorpus(alice, home + "/in");
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty(KerberosLogin.PRINCIPAL);
    System.clearProperty(KerberosLogin.KEYTAB);
    if (hdfs != null) {
      hdfs.close(); // with `alice`, and this JVM's Kerberos state as before
    }
  }

  private static Date newestTicket() throws Exception {
    return LoginTickets.newestTicketIssued(UserGroupInformation.getLoginUser());
  }

  @Test
  void aJobWhoseTicketExpiredLogsInAgainFromTheKeytabAndFinishes() throws Exception {
    // what spark-submit --principal/--keytab does in local mode before the job starts: log in
    UserGroupInformation.reset();
    Configuration conf = hdfs.clientConf();
    conf.setInt("hadoop.kerberos.min.seconds.before.relogin", 1); // Hadoop's default: 60 s
    UserGroupInformation.setConfiguration(conf);
    UserGroupInformation.loginUserFromKeytab(hdfs.userPrincipal, hdfs.userKeytab.getPath());
    Date firstTicket = newestTicket();
    System.setProperty(KerberosLogin.PRINCIPAL, hdfs.userPrincipal);
    System.setProperty(KerberosLogin.KEYTAB, hdfs.userKeytab.getPath());
    Thread.sleep((LIFETIME + 1) * 1000L); // the login's ticket has expired

    CapturedRun run =
        KerberizedPrepare.run(
            hdfs,
            home + "/in",
            home + "/prepared",
            "--set",
            "sparknmt.spark.conf.\"spark.hadoop.ipc.client.connection.maxidletime\"=\"500\"",
            "--set",
            "sparknmt.spark.conf.\"spark.hadoop.hadoop.kerberos.min.seconds.before.relogin\"=\"1\"");

    assertEquals(0, run.exit(), run.out());
    // as the job's login user (the test's own `alice` login is not renewed by Hadoop: not the
    // JVM's login user)
    try (FileSystem asLoginUser = FileSystem.newInstance(hdfs.uri, conf)) {
      assertTrue(asLoginUser.exists(new Path(home + "/prepared/shards/manifest.json")));
    }
    Date lastTicket = newestTicket();
    assertTrue(
        lastTicket.getTime() >= firstTicket.getTime() + LIFETIME * 1000L,
        "logged in again during the job: first ticket " + firstTicket + ", last " + lastTicket);
  }
}
