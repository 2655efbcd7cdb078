package org.sparknmt.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Command line of the launcher, for {@code deploy/local-cluster.sh}: the same {@link LocalCluster}
 * the integration tests use. The cluster's state (pids, ports, URLs) is kept in {@code
 * <work-dir>/cluster.properties}, so {@code start}, {@code status}, {@code submit} and {@code stop}
 * can run in different JVMs. Homes come from {@code -Dsparknmt.spark.home} / {@code
 * -Dsparknmt.hadoop.home} (default: the build outputs in the repository).
 */
public final class LocalClusterCli {
  /** How long {@code submit} waits for a job: a day (the tests' SparkJob default is 10 minutes). */
  static final Duration SUBMIT_TIMEOUT = Duration.ofDays(1);

  static final String USAGE =
      String.join(
          "\n",
          "usage: LocalClusterCli <command> [--work-dir DIR] [options]",
          "  start  [--yarn] [--workers N] [--worker-cores N] [--worker-memory 2g]"
              + " [--timeout-seconds S]",
          "         [--finished-app-ttl-seconds S (default 120): a worker deletes a finished"
              + " application's dir]",
          "         --yarn: a YARN ResourceManager + N NodeManagers instead of a Spark master +"
              + " N workers",
          "  status                        exit 0 when HDFS and every worker are up",
          "  stop",
          "  submit [--deploy-mode client|cluster] [--java-options OPTS] [--driver-memory 1g]",
          "         [--timeout-seconds S (default 86400)] [--conf KEY=VALUE]...",
          "         --class MAIN APP_JAR [APP_ARGS...]",
          "  hdfs   [--timeout-seconds S] FSSHELL_ARGS...   e.g. hdfs -ls / (no time limit unless"
              + " given)",
          "  restart-datanode [--down-seconds S (default 30)]   a DataNode outage, for fault drills",
          "--work-dir defaults to ./local-cluster-state");

  private final PrintStream out;
  private final PrintStream err;

  LocalClusterCli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new LocalClusterCli(System.out, System.err).run(args));
  }

  /** Runs one command; returns the exit code (2 = usage error). */
  int run(String... argv) {
    Deque<String> args = new ArrayDeque<>(List.of(argv));
    if (args.isEmpty() || List.of("-h", "--help", "help").contains(args.peek())) {
      out.println(USAGE);
      return args.isEmpty() ? 2 : 0;
    }
    String command = args.pop();
    try {
      return switch (command) {
        case "start" -> start(args);
        case "status" -> status(args);
        case "stop" -> stop(args);
        case "submit" -> submit(args);
        case "hdfs" -> hdfs(args);
        case "restart-datanode" -> restartDataNode(args);
        default -> throw new UsageError("unknown command '" + command + "'");
      };
    } catch (UsageError e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (IOException | RuntimeException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private int start(Deque<String> args) throws IOException {
    Path work = workDir(args);
    LocalCluster.Builder b = LocalCluster.builder(work).stopOnExit(false);
    while (!args.isEmpty()) {
      String opt = args.pop();
      switch (opt) {
        case "--yarn" -> b.manager(LocalCluster.Manager.YARN);
        case "--workers" -> b.workers(intValue(opt, args));
        case "--worker-cores" -> b.workerCores(intValue(opt, args));
        case "--worker-memory" -> b.workerMemory(value(opt, args));
        case "--timeout-seconds" -> b.startTimeout(Duration.ofSeconds(intValue(opt, args)));
        case "--finished-app-ttl-seconds" ->
            b.finishedAppTtl(Duration.ofSeconds(intValue(opt, args)));
        default -> throw new UsageError("unknown option for start: " + opt);
      }
    }
    LocalCluster c = b.start();
    printAddresses(c);
    return 0;
  }

  private void printAddresses(LocalCluster c) {
    out.println("master      " + c.masterUrl());
    if (c.manager() == LocalCluster.Manager.YARN) {
      out.println("yarn ui     " + c.resourceManagerWebUrl());
    } else {
      out.println("rest        " + c.restUrl());
    }
    out.println("hdfs        " + c.hdfsUri());
    if (c.manager() == LocalCluster.Manager.STANDALONE) {
      out.println("master ui   " + c.masterWebUrl());
    }
    out.println("namenode ui " + c.nameNodeWebUrl());
    // in yarn mode: export HADOOP_CONF_DIR=<this> before deploy/spark-submit.sh --master yarn
    out.println("spark conf  " + c.sparkConfDir());
    out.println("logs        " + c.logDir());
  }

  private int status(Deque<String> args) throws IOException {
    Path work = workDir(args);
    noMoreOptions("status", args);
    LocalCluster c = LocalCluster.attach(work);
    printAddresses(c);
    LocalCluster.Status s = c.status();
    out.println("status      " + s);
    return s.healthy() ? 0 : 1;
  }

  private int stop(Deque<String> args) throws IOException {
    Path work = workDir(args);
    noMoreOptions("stop", args);
    LocalCluster.attach(work).stop();
    out.println("stopped the local cluster in " + work);
    return 0;
  }

  private int submit(Deque<String> args) throws IOException {
    Path work = workDir(args);
    String deployMode = "client";
    String javaOptions = "";
    String driverMemory = "1g";
    Duration timeout = SUBMIT_TIMEOUT;
    String mainClass = null;
    List<String[]> conf = new ArrayList<>();
    while (!args.isEmpty() && args.peek().startsWith("--")) {
      String opt = args.pop();
      switch (opt) {
        case "--deploy-mode" -> deployMode = value(opt, args);
        case "--java-options" -> javaOptions = value(opt, args);
        case "--driver-memory" -> driverMemory = value(opt, args);
        case "--timeout-seconds" -> timeout = Duration.ofSeconds(intValue(opt, args));
        case "--class" -> mainClass = value(opt, args);
        case "--conf" -> {
          String kv = value(opt, args);
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new UsageError("--conf expects KEY=VALUE, got '" + kv + "'");
          }
          conf.add(new String[] {kv.substring(0, eq), kv.substring(eq + 1)});
        }
        default -> throw new UsageError("unknown option for submit: " + opt);
      }
    }
    if (mainClass == null || args.isEmpty()) {
      throw new UsageError("submit needs --class MAIN and an application jar");
    }
    if (!List.of("client", "cluster").contains(deployMode)) {
      throw new UsageError("--deploy-mode must be client or cluster, got '" + deployMode + "'");
    }
    SparkJob job = SparkJob.of(Path.of(args.pop()), mainClass, args.toArray(String[]::new));
    job.javaOptions(javaOptions).driverMemory(driverMemory).timeout(timeout);
    for (String[] kv : conf) {
      job.conf(kv[0], kv[1]);
    }
    LocalCluster c = LocalCluster.attach(work);
    if (deployMode.equals("client")) {
      SparkJob.ClientRun r = c.submitClient(job, out);
      err.println("exit code " + r.exitCode() + "; log " + r.log());
      return r.exitCode();
    }
    SparkJob.DriverRun r = c.submitCluster(job);
    out.print(r.driverStdout());
    err.println(
        "driver "
            + r.driverId()
            + " "
            + r.state()
            + (r.driverDir() != null ? "; driver logs in " + r.driverDir() : ""));
    return r.succeeded() ? 0 : 1;
  }

  /** A DataNode outage for fault drills: stops it, waits, starts it and waits for its blocks. */
  private int restartDataNode(Deque<String> args) throws IOException {
    Path work = workDir(args);
    int downSeconds = 30;
    if ("--down-seconds".equals(args.peek())) {
      String opt = args.pop();
      downSeconds = intValue(opt, args);
    }
    noMoreOptions("restart-datanode", args);
    try {
      LocalCluster.attach(work).restartDataNode(Duration.ofSeconds(downSeconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the DataNode was down", e);
    }
    out.println(
        "the DataNode was down for " + downSeconds + " s and has reported its blocks again");
    return 0;
  }

  private int hdfs(Deque<String> args) throws IOException {
    Path work = workDir(args);
    Duration timeout = null; // a long -put runs as long as it needs unless a limit is given
    if ("--timeout-seconds".equals(args.peek())) {
      String opt = args.pop();
      timeout = Duration.ofSeconds(intValue(opt, args));
    }
    LocalCluster.FsResult r = LocalCluster.attach(work).hdfs(timeout, args.toArray(String[]::new));
    out.print(r.stdout());
    err.print(r.stderr());
    return r.exitCode();
  }

  /** Takes {@code --work-dir DIR} if it comes first; default {@code ./local-cluster-state}. */
  private static Path workDir(Deque<String> args) {
    if ("--work-dir".equals(args.peek())) {
      String opt = args.pop();
      return Path.of(value(opt, args));
    }
    return Path.of("local-cluster-state");
  }

  private static void noMoreOptions(String command, Deque<String> args) {
    if (!args.isEmpty()) {
      throw new UsageError("unexpected argument for " + command + ": " + args.peek());
    }
  }

  private static String value(String opt, Deque<String> args) {
    if (args.isEmpty()) {
      throw new UsageError(opt + " needs a value");
    }
    return args.pop();
  }

  private static int intValue(String opt, Deque<String> args) {
    String v = value(opt, args);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageError(opt + " expects a number, got '" + v + "'");
    }
  }

  /** Bad command line: message plus usage, exit 2. */
  static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
      super(message);
    }
  }
}
