package org.sparknmt.jobs;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.authentication.util.KerberosName;

/**
 * A Kerberized HDFS for tests: a {@link MiniKdc} in this JVM and a secure {@link MiniDFSCluster}
 * (NameNode + one DataNode) in a child JVM, so that the services' Kerberos logins (Hadoop keeps one
 * login user per JVM) never mix with the login of the job under test.
 *
 * <p>Security as on a real cluster (after Hadoop's own TestSecureNNWithQJM and
 * SaslDataTransferTestCase): {@code hadoop.security.authentication = kerberos}, service principals
 * {@code hdfs/localhost} and {@code HTTP/localhost}, block access tokens, SASL on the DataNode's
 * data transfer ({@code dfs.data.transfer.protection = authentication}); the DataNode runs on an
 * unprivileged port without HTTPS ({@code ignore.secure.ports.for.testing}). The user {@code user}
 * gets a principal, a keytab and a home directory {@code /user/<user>}.
 */
final class SecureHdfs implements AutoCloseable {
  private final MiniKdc kdc;
  private final Process process;
  private final File dir;
  final URI uri;
  final String userPrincipal;
  final File userKeytab;
  final String servicePrincipal;
  private final List<FileSystem> userFileSystems = new ArrayList<>();

  private SecureHdfs(
      MiniKdc kdc, Process process, File dir, URI uri, String userPrincipal, File userKeytab) {
    this.kdc = kdc;
    this.process = process;
    this.dir = dir;
    this.uri = uri;
    this.userPrincipal = userPrincipal;
    this.userKeytab = userKeytab;
    this.servicePrincipal = "hdfs/localhost@" + kdc.getRealm();
  }

  /** Starts the KDC and the secure HDFS under {@code dir} (emptied first); day-long tickets. */
  static SecureHdfs start(File dir, String user) throws Exception {
    return start(dir, user, 0);
  }

  /**
   * As {@link #start(File, String)}, with tickets that expire after {@code ticketLifetimeSeconds}
   * (every principal's, the services' too; 0 = MiniKdc's default of a day).
   */
  static SecureHdfs start(File dir, String user, int ticketLifetimeSeconds) throws Exception {
    UserGroupInformation.reset(); // no login from an earlier test in this JVM
    deleteRecursively(dir);
    if (!dir.mkdirs()) {
      throw new IOException("cannot create " + dir);
    }
    // Java 11+ asks the KDC for referrals, which MiniKdc (Kerby) answers with an error
    System.setProperty("sun.security.krb5.disableReferrals", "true");
    Properties kdcConf = MiniKdc.createConf();
    if (ticketLifetimeSeconds > 0) {
      kdcConf.setProperty(MiniKdc.MAX_TICKET_LIFETIME, Integer.toString(ticketLifetimeSeconds));
      kdcConf.setProperty(MiniKdc.MIN_TICKET_LIFETIME, Integer.toString(ticketLifetimeSeconds));
    }
    MiniKdc kdc = new MiniKdc(kdcConf, new File(dir, "kdc"));
    kdc.start(); // sets java.security.krb5.conf for this JVM
    Process process = null;
    try {
      String realm = kdc.getRealm();
      File serviceKeytab = new File(dir, "hdfs.keytab");
      kdc.createPrincipal(serviceKeytab, "hdfs/localhost", "HTTP/localhost");
      File userKeytab = new File(dir, user + ".keytab");
      kdc.createPrincipal(userKeytab, user);

      Configuration conf = new Configuration(false);
      conf.set("hadoop.security.authentication", "kerberos");
      conf.set("dfs.namenode.kerberos.principal", "hdfs/localhost@" + realm);
      conf.set("dfs.namenode.keytab.file", serviceKeytab.getPath());
      conf.set("dfs.datanode.kerberos.principal", "hdfs/localhost@" + realm);
      conf.set("dfs.datanode.keytab.file", serviceKeytab.getPath());
      conf.set("dfs.web.authentication.kerberos.principal", "HTTP/localhost@" + realm);
      conf.set("dfs.web.authentication.kerberos.keytab", serviceKeytab.getPath());
      conf.setBoolean("dfs.block.access.token.enable", true);
      conf.set("dfs.data.transfer.protection", "authentication");
      conf.set("dfs.http.policy", "HTTP_ONLY");
      conf.setBoolean("ignore.secure.ports.for.testing", true);
      conf.setBoolean("dfs.permissions.enabled", true);
      conf.setInt("dfs.replication", 1);
      File site = new File(dir, "hdfs-secure.xml");
      try (OutputStream out = Files.newOutputStream(site.toPath())) {
        conf.writeXml(out);
      }

      List<String> command = new ArrayList<>();
      command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
      command.add("-Xmx512m");
      for (String option : BuildInfo.javaOptions().split("\\s+")) {
        if (!option.isBlank()) {
          command.add(option);
        }
      }
      command.add("-Djava.security.krb5.conf=" + kdc.getKrb5conf().getAbsolutePath());
      command.add("-Dsun.security.krb5.disableReferrals=true");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(Server.class.getName());
      command.add(dir.getAbsolutePath());
      command.add(user);
      File log = new File(dir, "hdfs.log");
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log)
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
      File uriFile = new File(dir, Server.URI_FILE);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (!uriFile.isFile()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the secure HDFS did not start (exit "
                  + (process.isAlive() ? "none, timed out" : process.exitValue())
                  + "); its log "
                  + log
                  + " ends with:\n"
                  + tail(log, 60));
        }
        Thread.sleep(200);
      }
      URI uri = URI.create(Files.readString(uriFile.toPath()).trim());
      KerberosName.resetDefaultRealm(); // the KDC's realm, not one cached before krb5.conf existed
      return new SecureHdfs(kdc, process, dir, uri, user + "@" + realm, userKeytab);
    } catch (Exception | Error e) {
      if (process != null) {
        process.destroyForcibly();
      }
      kdc.stop();
      forgetKerberos();
      throw e;
    }
  }

  /**
   * The client-side Hadoop settings a job needs to talk to this HDFS (what a cluster's {@code
   * core-site.xml}/{@code hdfs-site.xml} would say), as Spark properties {@code spark.hadoop.*}.
   */
  Map<String, String> clientSparkConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.hadoop.hadoop.security.authentication", "kerberos");
    conf.put("spark.hadoop.dfs.namenode.kerberos.principal", servicePrincipal);
    conf.put("spark.hadoop.dfs.data.transfer.protection", "authentication");
    conf.put("spark.hadoop.dfs.replication", "1");
    return conf;
  }

  /** {@link #clientSparkConf()} as a Hadoop configuration. */
  Configuration clientConf() {
    Configuration conf = new Configuration();
    clientSparkConf().forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
    return conf;
  }

  /** The user, logged in from its keytab (without changing this JVM's login user). */
  UserGroupInformation user() throws IOException {
    UserGroupInformation.setConfiguration(clientConf());
    return UserGroupInformation.loginUserFromKeytabAndReturnUGI(
        userPrincipal, userKeytab.getPath());
  }

  /**
   * The user's view of the file system (for setting up input and checking output), closed by {@link
   * #close}.
   */
  FileSystem userFileSystem() throws Exception {
    FileSystem fs =
        user()
            .doAs(
                (java.security.PrivilegedExceptionAction<FileSystem>)
                    () -> FileSystem.newInstance(uri, clientConf()));
    userFileSystems.add(fs);
    return fs;
  }

  /**
   * Closes the user's file systems, stops the HDFS and the KDC and gives this JVM back the Kerberos
   * state it had before {@link #start}: no Hadoop login, Hadoop's default realm, no krb5.conf of
   * the KDC.
   */
  @Override
  public void close() throws IOException {
    try {
      for (FileSystem fs : userFileSystems) {
        fs.close();
      }
      process.getOutputStream().close(); // the child shuts the cluster down on end of input
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      kdc.stop();
      forgetKerberos();
    }
  }

  /** No Hadoop login, Hadoop's default realm, no krb5.conf of a stopped KDC in this JVM. */
  private static void forgetKerberos() {
    UserGroupInformation.reset();
    KerberosName.resetDefaultRealm();
    System.clearProperty("java.security.krb5.conf"); // set by MiniKdc, not cleared by it
    System.clearProperty("sun.security.krb5.disableReferrals");
  }

  File dir() {
    return dir;
  }

  private static String tail(File file, int lines) {
    try {
      List<String> all = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void deleteRecursively(File f) throws IOException {
    if (!f.exists()) {
      return;
    }
    File[] children = f.listFiles();
    if (children != null) {
      for (File c : children) {
        deleteRecursively(c);
      }
    }
    Files.delete(f.toPath());
  }

  /** The child JVM: runs the secure MiniDFSCluster until its standard input ends. */
  static final class Server {
    static final String URI_FILE = "namenode-uri";

    private Server() {}

    public static void main(String[] args) throws Exception {
      File dir = new File(args[0]);
      String user = args[1];
      Configuration conf = new Configuration();
      conf.addResource(new Path(new File(dir, "hdfs-secure.xml").toURI()));
      UserGroupInformation.setConfiguration(conf);
      MiniDFSCluster cluster =
          new MiniDFSCluster.Builder(conf, new File(dir, "dfs")).numDataNodes(1).build();
      try {
        cluster.waitActive();
        // the NameNode logged this JVM in as hdfs/localhost, the superuser
        FileSystem fs = cluster.getFileSystem();
        Path home = new Path("/user/" + user);
        fs.mkdirs(home);
        fs.setOwner(home, user, user);
        File tmp = new File(dir, URI_FILE + ".tmp");
        Files.writeString(tmp.toPath(), fs.getUri().toString());
        Files.move(tmp.toPath(), new File(dir, URI_FILE).toPath(), StandardCopyOption.ATOMIC_MOVE);
        System.out.println("secure HDFS ready at " + fs.getUri());
        try (InputStream in = System.in) {
          while (in.read() >= 0) {
            // wait for the end of input
          }
        }
      } finally {
        cluster.shutdown(true);
      }
      System.exit(0);
    }
  }
}
