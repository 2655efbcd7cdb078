package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.security.AccessControlException;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which failures are "no Kerberos credentials" (one line, exit 2) and what {@link KerberosLogin}
 * refuses before it logs in; the login itself against a KDC is {@link KerberosHdfsTest}.
 */
class KerberosErrorsTest {
  @TempDir Path dir;

  @AfterEach
  void noLogin() {
    UserGroupInformation.reset();
  }

  @Test
  void aServerRefusingSimpleAuthenticationIsTheKerberosUserError() {
    // what a NameNode with Kerberos on answers a client configured for simple authentication
    Exception e =
        new IllegalStateException(
            "job failed",
            new IOException(
                "call failed",
                new RemoteException(
                    AccessControlException.class.getName(),
                    "SIMPLE authentication is not enabled.  Available:[TOKEN, KERBEROS]")));
    assertEquals(Cli.EXIT_USER_ERROR, Cli.exitCode(e));
    String message = Cli.userError(e).getMessage();
    assertTrue(message.startsWith("the cluster requires Kerberos authentication"), message);
    assertTrue(message.contains("(SIMPLE authentication is not enabled. Available:"), message);
  }

  @Test
  void aPermissionErrorIsNotAboutKerberos() {
    Exception denied =
        new AccessControlException("Permission denied: user=bob, access=READ, inode=\"/m\"");
    assertFalse(Cli.isAuthenticationRefused(denied));
    String message = Cli.userError(denied).getMessage();
    assertTrue(message.startsWith("permission denied: user=bob"), message);
    assertFalse(message.contains("Kerberos"), message);
  }

  @Test
  void aPrincipalWithoutKeytabIsRefused() {
    SparkConf spark = new SparkConf(false).set(KerberosLogin.PRINCIPAL, "alice@EXAMPLE.COM");
    UserError e =
        assertThrows(UserError.class, () -> KerberosLogin.apply(spark, new Configuration()));
    assertEquals(
        "Kerberos: give both spark.kerberos.principal and spark.kerberos.keytab (spark-submit"
            + " --principal P --keytab FILE), only spark.kerberos.principal is set",
        e.getMessage());
  }

  @Test
  void aKeytabOnAClusterWithoutSecurityIsNotUsed() throws IOException {
    Path keytab = Files.writeString(dir.resolve("alice.keytab"), "stand-in");
    SparkConf spark =
        new SparkConf(false)
            .set("spark.yarn.principal", "alice@EXAMPLE.COM") // Spark 2's name, still read
            .set(KerberosLogin.KEYTAB, "file://" + keytab);
    Configuration simple = new Configuration();
    simple.set("hadoop.security.authentication", "simple");
    KerberosLogin.apply(spark, simple); // warns only
    assertFalse(UserGroupInformation.isLoginKeytabBased());
  }
}
