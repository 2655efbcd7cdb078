package org.sparknmt.jobs;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the driver in to Kerberos from {@code spark.kerberos.principal} and {@code
 * spark.kerberos.keytab} (spark-submit's {@code --principal}/{@code --keytab}, or {@code --set
 * sparknmt.spark.conf."spark.kerberos.principal"=…}), once, for every job, when its session is
 * created ({@link Sessions#create}) and before it touches any data.
 *
 * <p>Why the job does it: Spark 3.5's spark-submit logs in from a keytab only for local, YARN and
 * Kubernetes masters, never for a standalone master ({@code spark://}), and a job started without
 * spark-submit (the main command in local mode, tests) gets no login at all. Logging in here is a
 * no-op when spark-submit already logged in as the same principal. Hadoop's security settings are
 * those of the session ({@code HADOOP_CONF_DIR}/{@code core-site.xml} on the classpath, then {@code
 * spark.hadoop.*}), so Hadoop's login and every file system the job opens agree.
 *
 * <p>Not done by Spark, nor here: on a standalone cluster the executors get no Kerberos credentials
 * (Spark obtains and ships delegation tokens only on YARN and Kubernetes); the job warns, and
 * {@link Cli} says so when the executors are refused.
 */
public final class KerberosLogin {
  static final String PRINCIPAL = "spark.kerberos.principal";
  static final String KEYTAB = "spark.kerberos.keytab";
  private static final String RM_PRINCIPAL = "yarn.resourcemanager.principal";

  private static final Logger LOG = LoggerFactory.getLogger(KerberosLogin.class);

  private KerberosLogin() {}

  /**
   * Makes Hadoop's security use {@code hadoop} (the session's Hadoop configuration) and, if {@code
   * spark} names a principal and keytab, logs this JVM in as that principal.
   *
   * @throws UserError if only one of principal and keytab is given, the keytab is not a readable
   *     file, or the KDC refuses the login
   */
  public static void apply(SparkConf spark, Configuration hadoop) {
    UserGroupInformation.setConfiguration(hadoop);
    login(spark);
    if (!UserGroupInformation.isSecurityEnabled()) {
      return;
    }
    try {
      UserGroupInformation user = UserGroupInformation.getCurrentUser();
      requireCredentials(user);
      if (hadoop.get(RM_PRINCIPAL) == null) {
        // Hadoop's input formats (sc.textFile) fetch delegation tokens for this renewer and fail
        // without one ("Can't get Master Kerberos principal for use as renewer"); outside YARN
        // there is none, so name the job's own user, as spark-submit does on Kubernetes and Mesos
        hadoop.set(RM_PRINCIPAL, user.getShortUserName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How to give a job Kerberos credentials (the end of every "no credentials" error). */
  static final String HOW_TO_LOG_IN =
      "give a principal and keytab (spark-submit --principal P --keytab FILE, or --conf"
          + " spark.kerberos.principal=P --conf spark.kerberos.keytab=FILE; deploy/run-pipeline.sh"
          + " --principal P --keytab FILE) or run kinit first";

  /**
   * Hadoop security is on: the job needs a Kerberos login (keytab or ticket cache, also as the real
   * user behind a proxy user) or delegation tokens (a YARN or Kubernetes driver). Checked before
   * the job touches data, so that the cluster's refusal (and Hadoop's logged stack trace of it)
   * never comes.
   */
  private static void requireCredentials(UserGroupInformation user) throws IOException {
    UserGroupInformation real = user.getRealUser() != null ? user.getRealUser() : user;
    if (real.hasKerberosCredentials() || user.getCredentials().numberOfTokens() > 0) {
      return;
    }
    throw new UserError(
        "the cluster requires Kerberos authentication (hadoop.security.authentication = kerberos"
            + " in the job's Hadoop configuration) and this job has no Kerberos credentials (no"
            + " keytab login, ticket or delegation token for "
            + user.getUserName()
            + "): "
            + HOW_TO_LOG_IN);
  }

  private static void login(SparkConf spark) {
    String principal = spark.get(PRINCIPAL, null); // also spark.yarn.principal (an alternative key)
    String keytab = spark.get(KEYTAB, null);
    if (principal == null && keytab == null) {
      return;
    }
    if (principal == null || keytab == null) {
      throw new UserError(
          "Kerberos: give both "
              + PRINCIPAL
              + " and "
              + KEYTAB
              + " (spark-submit --principal P --keytab FILE), only "
              + (principal == null ? KEYTAB : PRINCIPAL)
              + " is set");
    }
    File file = new File(localPath(keytab));
    if (!file.isFile() || !file.canRead()) {
      throw new UserError(
          "Kerberos keytab "
              + file
              + " ("
              + KEYTAB
              + ") does not exist or is not readable on "
              + hostName());
    }
    if (!UserGroupInformation.isSecurityEnabled()) {
      LOG.warn(
          "{} is set but Hadoop security is off (hadoop.security.authentication = simple in the"
              + " Hadoop configuration this job sees: HADOOP_CONF_DIR, spark.hadoop.*); not"
              + " logging in to Kerberos",
          PRINCIPAL);
      return;
    }
    try {
      if (UserGroupInformation.isLoginKeytabBased()
          && principal.equals(UserGroupInformation.getLoginUser().getUserName())) {
        LOG.info("logged in to Kerberos as {} already (by spark-submit)", principal);
        return;
      }
      UserGroupInformation.loginUserFromKeytab(principal, file.getPath());
    } catch (IOException e) {
      throw new UserError(
          "Kerberos login as "
              + principal
              + " from keytab "
              + file
              + " failed ("
              + reason(e, principal)
              + "): check the principal and its realm, that the keytab holds its keys (klist -kt "
              + file
              + "), and that krb5.conf names a reachable KDC",
          e);
    }
    LOG.info("logged in to Kerberos as {} from keytab {}", principal, file);
    if (spark.get("spark.master", "").startsWith("spark://")) {
      LOG.warn(
          "the executors of a Spark standalone cluster get no Kerberos credentials (Spark 3.5"
              + " ships delegation tokens only on YARN and Kubernetes): they cannot read a"
              + " Kerberized HDFS");
    }
  }

  /** A keytab given as a {@code file:} or {@code local:} URI (cluster mode) or a plain path. */
  private static String localPath(String keytab) {
    if (keytab.startsWith("file:") || keytab.startsWith("local:")) {
      try {
        return new URI(keytab).getPath();
      } catch (URISyntaxException e) {
        throw new UserError(KEYTAB + " = '" + keytab + "' is not a valid URI or path", e);
      }
    }
    return keytab;
  }

  /** Why a login failed, in one line; Java's words for a principal the keytab lacks translated. */
  private static String reason(Throwable e, String principal) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage()).strip().replaceAll("\\s+", " ");
    if (message.contains("Unable to obtain password from user")) {
      return "the keytab has no key for " + principal;
    }
    return message;
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "this host";
    }
  }
}
