package org.sparknmt.jobs;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.security.AccessControlException;
import org.apache.hadoop.security.UserGroupInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.prep.InputError;
import picocli.CommandLine;

/**
 * Runs a picocli job command with one error policy for every job: a {@link UserError} or {@link
 * InputError} anywhere in the cause chain prints "error: message" and exits 2, and so does a
 * connection failure (an unreachable NameNode or master, an unknown host), and so does a Hadoop
 * service that refuses a client without Kerberos credentials; a {@link LockedError} (another job
 * holds the lock) prints its line and exits 3; anything else is logged with its stack trace and
 * exits 1; usage errors exit 2 with picocli's message.
 */
public final class Cli {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_USER_ERROR = 2;

  /** Another job holds a lock this job needs ({@link LockedError}). */
  public static final int EXIT_LOCKED = 3;

  /** RetrainJob: the new model did not beat the champion, which stays. */
  public static final int EXIT_KEPT = 4;

  /** RetrainJob: this data snapshot was retrained with this configuration already. */
  public static final int EXIT_NOTHING_TO_DO = 5;

  private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

  private Cli() {}

  /** Executes {@code command} with {@code args} and returns the process exit code. */
  public static int execute(Callable<Integer> command, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setExitCodeExceptionMapper(Cli::exitCode);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          RuntimeException user = userError(ex);
          if (user != null) {
            cmd.getErr().println("error: " + withoutStackFrames(user.getMessage()));
          } else {
            LOG.error("{} failed", cmd.getCommandName(), ex);
            cmd.getErr().println("error: " + cmd.getCommandName() + " failed: " + ex);
          }
          cmd.getErr().flush();
          return exitCode(ex);
        });
    return cl.execute(args);
  }

  /**
   * Runs the command and exits the JVM with its exit code (for {@code main}); in YARN cluster
   * deploy mode see {@link #exitInsideYarnApplicationMaster}.
   */
  public static void main(Callable<Integer> command, String... args) {
    int code = execute(command, args);
    if (System.getProperty(YARN_CLUSTER_MODE_PROPERTY) != null) {
      exitInsideYarnApplicationMaster(code);
      return;
    }
    System.exit(code);
  }

  /**
   * Set by Spark's YARN ApplicationMaster, only in cluster deploy mode, where the driver's {@code
   * main} runs in a thread of the ApplicationMaster's JVM.
   */
  static final String YARN_CLUSTER_MODE_PROPERTY = "spark.yarn.app.id";

  /**
   * Ends {@code main} inside the YARN ApplicationMaster: returns for exit code 0 (the
   * ApplicationMaster then reports SUCCEEDED), throws Spark's {@code SparkUserAppException} for any
   * other code (reported as FAILED with the diagnostics "User application exited with status N").
   * {@code System.exit} must not be called there: the ApplicationMaster's shutdown hook would
   * report FAILED ("Shutdown hook called before final status was reported") even for exit code 0,
   * as seen on the local YARN cluster with DoctorJob.
   */
  static void exitInsideYarnApplicationMaster(int code) {
    if (code != EXIT_OK) {
      // a checked exception to javac (SparkException), thrown unchecked so that the jobs' main
      // methods need no throws clause; the ApplicationMaster catches it by its class
      Cli.<RuntimeException>throwUnchecked(new org.apache.spark.SparkUserAppException(code));
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
    throw (T) t;
  }

  /**
   * {@code message} on one line without the stack frames some carry: a Hadoop {@code
   * RemoteException}'s message holds the server's whole stack trace, which a user error quoting it
   * would otherwise print.
   */
  static String withoutStackFrames(String message) {
    if (message == null) {
      return "";
    }
    return message
        .lines()
        .filter(
            l -> !l.matches("\\s*at \\S+\\(.*\\)\\s*") && !l.matches("\\s*\\.\\.\\. \\d+ more\\s*"))
        .map(String::strip)
        .collect(java.util.stream.Collectors.joining(" "));
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof CommandLine.ParameterException) {
      return EXIT_USER_ERROR;
    }
    RuntimeException user = userError(ex);
    if (user instanceof LockedError) {
      return EXIT_LOCKED;
    }
    return user != null ? EXIT_USER_ERROR : EXIT_FAILURE;
  }

  /**
   * The first user-caused failure in the cause chain (Spark wraps task failures): a {@link
   * UserError}, or data-prep's {@link InputError} (bad input data), or null.
   */
  public static RuntimeException userError(Throwable ex) {
    UserError authentication = authenticationRefused(ex);
    if (authentication != null) {
      return authentication; // also under a job's own UserError ("cannot use output …: …")
    }
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof UserError || t instanceof InputError) {
        return (RuntimeException) t;
      }
      if (t instanceof ConnectException
          || t instanceof UnknownHostException
          || t instanceof NoRouteToHostException) {
        // e.g. a NameNode that is down or a misspelt host in an hdfs:// URI: one line, not a trace
        return new UserError("cannot reach a service the job needs: " + t.getMessage(), t);
      }
      String fault = environmentFault(t);
      if (fault != null) {
        return new UserError(fault, t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /**
   * A fault of the environment, recognised by one line of an exception's message (a task's failure
   * reaches the driver only as text inside Spark's "Job aborted" message, hence text), and what to
   * tell the user: {@code explain} gets that line.
   */
  private record EnvironmentFault(String marker, UnaryOperator<String> explain) {}

  private static final List<EnvironmentFault> ENVIRONMENT_FAULTS =
      List.of(
          // a file system refusing a path: "Permission denied: user=bob, access=WRITE, inode=…"
          new EnvironmentFault(
              "Permission denied: user=",
              line ->
                  "permission denied: "
                      + line.substring(
                          line.indexOf("Permission denied: ") + "Permission denied: ".length())
                      + " (give the job's user access, or choose a path it may write)"),
          new EnvironmentFault("No space left on device", Cli::outOfSpace),
          new EnvironmentFault("DiskSpace quota", Cli::outOfSpace),
          // no DataNode serves a block: read (BlockMissingException) or written
          new EnvironmentFault("Could not obtain block", Cli::dataNodeOutage),
          new EnvironmentFault("could only be written to 0 of the", Cli::dataNodeOutage),
          new EnvironmentFault("are bad. Aborting", Cli::dataNodeOutage));

  private static String outOfSpace(String line) {
    return "out of space: "
        + line
        + " (free space or raise the quota, then run the job again: finished steps and"
        + " checkpoints are kept)";
  }

  private static String dataNodeOutage(String line) {
    return "HDFS could not read or write a block: no DataNode holding it answered ("
        + line
        + "); start the DataNodes and run the job again (a training run resumes from its last"
        + " checkpoint)";
  }

  /** The user's one line for the first {@link #ENVIRONMENT_FAULTS} in {@code t}'s message. */
  static String environmentFault(Throwable t) {
    String message = t.getMessage();
    if (message == null || isAuthenticationRefused(t)) {
      return null; // a Kerberos refusal is an AccessControlException too: explained apart
    }
    for (String line : message.split("\n")) {
      for (EnvironmentFault f : ENVIRONMENT_FAULTS) {
        if (line.contains(f.marker())) {
          return f.explain().apply(line.strip());
        }
      }
    }
    return null;
  }

  /** The Kerberos error for the first {@link #isAuthenticationRefused} cause of {@code ex}. */
  private static UserError authenticationRefused(Throwable ex) {
    for (Throwable t = ex; t != null && t.getCause() != t; t = t.getCause()) {
      if (isAuthenticationRefused(t)) {
        String driverLogin = keytabLogin();
        if (driverLogin != null) {
          return new UserError(
              "the cluster requires Kerberos authentication ("
                  + oneLine(t.getMessage())
                  + "); the driver is logged in as "
                  + driverLogin
                  + " but the executors have no credentials: on a Spark standalone cluster Spark"
                  + " 3.5 gives executors no Kerberos delegation tokens (it does on YARN and"
                  + " Kubernetes); run the job there or in local mode",
              t);
        }
        return new UserError(
            "the cluster requires Kerberos authentication and this job has no valid Kerberos"
                + " credentials ("
                + oneLine(t.getMessage())
                + "): "
                + KerberosLogin.HOW_TO_LOG_IN,
            t);
      }
    }
    return null;
  }

  private static String oneLine(String message) {
    return message.strip().replaceAll("\\s+", " ");
  }

  /** The principal this JVM logged in as from a keytab, or null. */
  private static String keytabLogin() {
    try {
      return UserGroupInformation.isLoginKeytabBased()
          ? UserGroupInformation.getLoginUser().getUserName()
          : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * A Hadoop service refused to talk to a client without Kerberos credentials: the client has no
   * ticket or token ("Client cannot authenticate via:[TOKEN, KERBEROS]") or tried simple
   * authentication ("SIMPLE authentication is not enabled"). Not a permission error ("Permission
   * denied: user=…"), which names an authenticated user.
   */
  static boolean isAuthenticationRefused(Throwable t) {
    boolean accessControl =
        t instanceof AccessControlException
            || t instanceof RemoteException r
                && AccessControlException.class.getName().equals(r.getClassName());
    String message = t.getMessage();
    return accessControl
        && message != null
        && (message.contains("cannot authenticate via")
            || message.contains("authentication is not enabled"));
  }
}
