package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.spark.SparkUserAppException;
import org.junit.jupiter.api.Test;

/** How a job ends inside the YARN ApplicationMaster (cluster deploy mode). */
class CliTest {
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
