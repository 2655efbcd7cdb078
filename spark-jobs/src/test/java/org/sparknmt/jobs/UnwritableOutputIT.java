package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose output directory its user may not write (HDFS with permissions on): exit 2, one line
 * naming the user, the access and the path, no stack trace, and nothing written.
 */
class UnwritableOutputIT {
  private static MiniDFSCluster cluster;
  private static FileSystem fs;
  @TempDir Path tmp;

  @BeforeAll
  static void startHdfs() throws Exception {
    File base =
        new File("target/minidfs-" + UnwritableOutputIT.class.getSimpleName()).getAbsoluteFile();
    cluster =
        new MiniDFSCluster.Builder(new Configuration(), base).numDataNodes(1).format(true).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    org.apache.hadoop.fs.Path readOnly = new org.apache.hadoop.fs.Path("/published");
    fs.mkdirs(readOnly);
    fs.setPermission(readOnly, new FsPermission((short) 0755)); // owned by the superuser
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Test
  void anOutputTheUserMayNotWriteIsOneLineAndNothingIsWritten() throws Exception {
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    TrainingPipelineIT.slice(data, tmp, "train", 0, 40);
    String out = fs.getUri() + "/published/data";
    List<String> args =
        List.of(
            "--source",
            tmp.resolve("train.en").toString(),
            "--target",
            tmp.resolve("train.es").toString(),
            "--out",
            out,
            "--set",
            "sparknmt.spark.master=\"local[1]\"",
            "--set",
            "sparknmt.bpe.vocab-size=300");
    UserGroupInformation mallory =
        UserGroupInformation.createUserForTesting("mallory", new String[] {"outsiders"});
    CapturedRun run =
        mallory.doAs(
            (PrivilegedExceptionAction<CapturedRun>)
                () -> CapturedRun.of(new org.sparknmt.jobs.prep.PrepareJob(), args));
    assertEquals(Cli.EXIT_USER_ERROR, run.exit(), run.out());
    List<String> errors = run.out().lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), run.out());
    assertTrue(errors.get(0).contains("cannot write output " + out), errors.get(0));
    assertTrue(
        errors.get(0).contains("Permission denied: user=mallory, access=WRITE"), errors.get(0));
    assertTrue(!run.out().contains("\tat org.apache"), "a stack trace: " + run.out());
    assertEquals(0, fs.listStatus(new org.apache.hadoop.fs.Path("/published")).length);
    assertTrue(Files.exists(tmp.resolve("train.en")), "the input is untouched");
  }
}
