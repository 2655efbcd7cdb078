package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.config.Settings;

/** The executor settings ND4J needs reach the SparkConf. */
class SessionsTest {
  @Test
  void executorsGetOpenMpThreadsPassiveWaitingAndOffHeapLimits() {
    SparkConf conf = Sessions.sparkConf(Settings.defaults(), "test");
    assertEquals("1", conf.get("spark.executorEnv.OMP_NUM_THREADS"));
    assertEquals("PASSIVE", conf.get("spark.executorEnv.OMP_WAIT_POLICY"));
    assertTrue(
        conf.get("spark.executor.extraJavaOptions").contains("-Dorg.bytedeco.javacpp.maxbytes=2G"),
        conf.get("spark.executor.extraJavaOptions"));
  }

  @Test
  void broadcastsTravelInLargeUncompressedPiecesUnlessSparkSubmitSaysOtherwise() {
    SparkConf conf = Sessions.sparkConf(Settings.defaults(), "test");
    assertEquals("32m", conf.get("spark.broadcast.blockSize"));
    assertEquals("false", conf.get("spark.broadcast.compress"));
    assertEquals("0", conf.get("spark.driver.maxResultSize"), "no cap on the workers' states");
    assertEquals(
        org.sparknmt.jobs.kryo.NdArrayKryoRegistrator.class.getName(),
        conf.get("spark.kryo.registrator"));
    System.setProperty("spark.broadcast.blockSize", "8m");
    try {
      assertEquals(
          "8m", Sessions.sparkConf(Settings.defaults(), "test").get("spark.broadcast.blockSize"));
    } finally {
      System.clearProperty("spark.broadcast.blockSize");
    }
  }

  @Test
  void aWaitPolicyGivenBySparkSubmitIsKept() {
    System.setProperty("spark.executorEnv.OMP_WAIT_POLICY", "ACTIVE");
    try {
      assertEquals(
          "ACTIVE",
          Sessions.sparkConf(Settings.defaults(), "test").get("spark.executorEnv.OMP_WAIT_POLICY"));
    } finally {
      System.clearProperty("spark.executorEnv.OMP_WAIT_POLICY");
    }
  }

  @Test
  void whatJobsWriteIsNotReadableByOthersByDefault() {
    assertEquals(
        "027",
        Sessions.sparkConf(Settings.defaults(), "test")
            .get("spark.hadoop.fs.permissions.umask-mode"));
    Settings bad =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(), java.util.List.of("sparknmt.storage.umask=\"rwx\"")));
    UserError e =
        org.junit.jupiter.api.Assertions.assertThrows(
            UserError.class, () -> Sessions.sparkConf(bad, "test"));
    assertTrue(e.getMessage().contains("sparknmt.storage.umask"), e.getMessage());
  }

  @Test
  void stageLevelSchedulingIsCheckedAndRecordedBeforeSparkStarts() {
    Settings on =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(),
                java.util.List.of(
                    "sparknmt.resources.stage-level-scheduling=true",
                    "sparknmt.spark.master=\"spark://master:7077\"")));
    UserError e =
        org.junit.jupiter.api.Assertions.assertThrows(
            UserError.class, () -> Sessions.sparkConf(on, "test"));
    assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=true"), e.getMessage());

    Settings complete =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(),
                java.util.List.of(
                    "sparknmt.resources.stage-level-scheduling=true",
                    "sparknmt.spark.master=\"spark://master:7077\"",
                    "sparknmt.spark.conf.\"spark.dynamicAllocation.enabled\"=true",
                    "sparknmt.spark.conf.\"spark.dynamicAllocation.shuffleTracking.enabled\"=true",
                    "sparknmt.spark.conf.\"spark.executor.cores\"=1")));
    SparkConf conf = Sessions.sparkConf(complete, "test");
    assertEquals(
        org.sparknmt.jobs.gpu.StageResourceLog.class.getName(), conf.get("spark.extraListeners"));
    // a quoted key of sparknmt.spark.conf (as conf/*.conf write them) reaches Spark unquoted
    assertEquals("1", conf.get("spark.executor.cores"));
    assertTrue(!conf.contains("\"spark.executor.cores\""), conf.toDebugString());
  }

  @Test
  void theGpuConfigurationIsCompleteForAStandaloneMasterAndRefusedInLocalMode() {
    String gpuConf =
        java.nio.file.Path.of(System.getProperty("sparknmt.repo", ".."), "conf", "gpu.conf")
            .toString();
    Settings standalone =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(gpuConf),
                java.util.List.of("sparknmt.spark.master=\"spark://master:7077\"")));
    SparkConf conf = Sessions.sparkConf(standalone, "test");
    assertEquals("true", conf.get("spark.dynamicAllocation.enabled"));
    assertEquals("4", conf.get("spark.executor.cores"));
    assertTrue(!conf.contains("spark.executor.resource.gpu.amount"), conf.toDebugString());
    Settings local =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(gpuConf), java.util.List.of()));
    UserError e =
        org.junit.jupiter.api.Assertions.assertThrows(
            UserError.class, () -> Sessions.sparkConf(local, "test"));
    assertTrue(e.getMessage().contains("got 'local[2]'"), e.getMessage());
  }

  @Test
  void extraSparkPropertiesArePassedWithTheirPlainNames() {
    Settings s =
        Settings.load(
            new org.sparknmt.jobs.config.ConfigOptions(
                java.util.List.of(),
                java.util.List.of(
                    "sparknmt.spark.conf.\"spark.kerberos.principal\"=\"alice@EXAMPLE.COM\"",
                    "sparknmt.spark.conf.spark.sql.shuffle.partitions=8")));
    SparkConf conf = Sessions.sparkConf(s, "test");
    assertEquals("alice@EXAMPLE.COM", conf.get("spark.kerberos.principal"));
    assertEquals("8", conf.get("spark.sql.shuffle.partitions"));
  }
}
