package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkUserAppException;
import org.junit.jupiter.api.Test;

/** How a job ends: inside the YARN ApplicationMaster (cluster deploy mode); on an HDFS outage. */
class CliTest {
  @Test
  void aDataNodeOutageIsOneLineNamingItNotAStackTrace() {
    // a task's failure reaches the driver as text inside Spark's "Job aborted" message
    Exception read =
        new org.apache.spark.SparkException(
            "Job aborted due to stage failure: Task 1 in stage 7.0 failed 4 times, most recent"
                + " failure: Lost task 1.3 in stage 7.0 (TID 31) (127.0.0.1 executor 1):"
                + " org.apache.hadoop.hdfs.BlockMissingException: Could not obtain block:"
                + " BP-1:blk_1073741830_1006 file=/it/data/shards/train/part-00000.bin\n"
                + "\tat org.apache.hadoop.hdfs.DFSInputStream.refetchLocations(DFSInputStream.java:1004)");
    assertEquals(Cli.EXIT_USER_ERROR, Cli.exitCode(read));
    String message = Cli.userError(read).getMessage();
    assertTrue(message.startsWith("HDFS could not read or write a block"), message);
    assertTrue(message.contains("file=/it/data/shards/train/part-00000.bin"), message);
    assertTrue(!message.contains("DFSInputStream.java"), message);

    Exception write =
        new java.io.UncheckedIOException(
            "cannot write checkpoint /it/runs/x/checkpoints/ckpt-40",
            new java.io.IOException(
                "File /it/runs/x/checkpoints/.tmp-ckpt-40/model.zip could only be written to 0 of"
                    + " the 1 minReplication nodes. There are 1 datanode(s) running and 1 node(s)"
                    + " are excluded in this operation."));
    assertEquals(Cli.EXIT_USER_ERROR, Cli.exitCode(write));
    assertEquals(Cli.EXIT_FAILURE, Cli.exitCode(new IllegalStateException("a bug")));
  }

  @Test
  void aUserErrorQuotingARemoteExceptionIsPrintedWithoutItsStackFrames() {
    assertEquals(
        "cannot write output hdfs://nn/x: Permission denied: user=bob",
        Cli.withoutStackFrames(
            "cannot write output hdfs://nn/x: Permission denied: user=bob\n"
                + "\tat org.apache.hadoop.hdfs.server.namenode.FSPermissionChecker.check("
                + "FSPermissionChecker.java:506)\n"
                + "\tat org.apache.hadoop.ipc.Server$Handler.run(Server.java:3061)\n"
                + "\t... 12 more\n"));
  }

  @Test
  void aPermissionErrorIsOneLineNamingUserAccessAndPath() {
    Exception denied =
        new org.apache.hadoop.security.AccessControlException(
            "Permission denied: user=mallory, access=WRITE,"
                + " inode=\"/published\":root:supergroup:drwxr-xr-x\n\tat org.apache.hadoop.hdfs");
    assertEquals(Cli.EXIT_USER_ERROR, Cli.exitCode(denied));
    assertEquals(
        "permission denied: user=mallory, access=WRITE,"
            + " inode=\"/published\":root:supergroup:drwxr-xr-x (give the job's user access, or"
            + " choose a path it may write)",
        Cli.userError(denied).getMessage());
  }

  @Test
  void insideTheYarnApplicationMasterSuccessReturnsAndFailureCarriesTheExitCode() {
    Cli.exitInsideYarnApplicationMaster(Cli.EXIT_OK); // returns: the AM reports SUCCEEDED
    SparkUserAppException e =
        assertThrows(
            SparkUserAppException.class,
            () -> Cli.exitInsideYarnApplicationMaster(Cli.EXIT_USER_ERROR));
    assertEquals(Cli.EXIT_USER_ERROR, e.exitCode());
  }
}
