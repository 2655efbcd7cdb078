package org.sparknmt.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster and a real HDFS on this machine, started from the jars of the
 * assembled {@link Homes}: NameNode, DataNode, Master (with the REST submission gateway) and N
 * Workers, each a separate {@code java} process bound to 127.0.0.1 on free ports. Jobs are
 * submitted with {@code org.apache.spark.deploy.SparkSubmit} in a child JVM, exactly as {@code
 * spark-submit} would run it.
 *
 * <p>In {@link Manager#YARN yarn mode} a YARN ResourceManager and N NodeManagers take the place of
 * the Master and the Workers (same jars as a Hadoop distribution's {@code yarn resourcemanager} and
 * {@code yarn nodemanager}; containers are child processes of their NodeManager). Clients submit
 * with {@code spark-submit --master yarn} and {@code HADOOP_CONF_DIR} = {@link #sparkConfDir()},
 * which then also holds yarn-site.xml ({@link YarnSite}).
 *
 * <p>Everything lives in the work dir: {@code conf/hadoop} and {@code conf/spark} (core-site.xml,
 * hdfs-site.xml; the latter is Spark's {@code SPARK_CONF_DIR}, so drivers and executors see {@code
 * fs.defaultFS} and {@code dfs.replication=1}), {@code hdfs/} (NameNode and DataNode storage),
 * {@code spark/worker-N} (worker dirs with executor and driver logs), in yarn mode {@code
 * conf/nodemanager-N} and {@code yarn/nodemanager-N} (its local dirs and the containers' logs),
 * {@code logs/} (one log per daemon and per submission, kept on failure) and {@code
 * cluster.properties} (pids, ports, URLs) so another JVM can {@link #attach} to the running cluster
 * and stop it.
 *
 * <pre>{@code
 * try (LocalCluster c = LocalCluster.builder(workDir).workers(2).start()) {
 *   c.hdfs("-put", "-f", "in.txt", "/in/");
 *   SparkJob.ClientRun r = c.submitClient(SparkJob.of(appJar, "com.acme.Job", "/in"));
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {
  static final String STATE_FILE = "cluster.properties";
  static final String HOST = "127.0.0.1";
  static final long DEFAULT_FINISHED_APP_TTL_SECONDS = 120;
  static final Duration DEFAULT_FINISHED_APP_TTL =
      Duration.ofSeconds(DEFAULT_FINISHED_APP_TTL_SECONDS);

  private static final System.Logger LOG = System.getLogger(LocalCluster.class.getName());
  private static final Pattern DRIVER_ID = Pattern.compile("(driver-\\d{14}-\\d{4,})");

  /**
   * Java 17 options of the YARN daemons: Hadoop 3.3's Guice 4.0 (cglib) defines classes through
   * {@code ClassLoader.defineClass}, which Java 17 refuses without this (seen: "Error starting
   * ResourceManager ... module java.base does not opens java.lang"); Hadoop 3.4's hadoop-env.sh
   * adds the same.
   */
  static final List<String> YARN_DAEMON_JAVA_OPTIONS =
      List.of(
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-exports=java.base/sun.net.dns=ALL-UNNAMED",
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED");

  private static final List<String> TERMINAL_DRIVER_STATES =
      List.of("FINISHED", "FAILED", "KILLED", "ERROR");

  /** Which cluster manager runs the Spark applications. */
  public enum Manager {
    /** Spark's standalone Master and Workers. */
    STANDALONE,
    /** A YARN ResourceManager and NodeManagers. */
    YARN
  }

  private final Homes homes;
  private final Path workDir;
  private final Manager manager;
  private final int workers;
  private final Map<String, Integer> ports;
  private final List<Daemon> daemons;
  private Thread shutdownHook;

  /** A custom resource of a worker: {@code spark.worker.resource.<name>.*}. */
  record WorkerResource(String name, int amount, Path discoveryScript) {
    List<String> javaOptions() {
      String prefix = "-Dspark.worker.resource." + name + ".";
      return List.of(prefix + "amount=" + amount, prefix + "discoveryScript=" + discoveryScript);
    }
  }

  /** A started daemon: its name (namenode, worker-1 ...), pid, main class and log file. */
  record Daemon(String name, long pid, String mainClass, Path log) {}

  private LocalCluster(
      Homes homes,
      Path workDir,
      Manager manager,
      int workers,
      Map<String, Integer> ports,
      List<Daemon> daemons) {
    this.homes = homes;
    this.workDir = workDir;
    this.manager = manager;
    this.workers = workers;
    this.ports = Map.copyOf(ports);
    this.daemons = new java.util.concurrent.CopyOnWriteArrayList<>(daemons);
  }

  public static Builder builder(Path workDir) {
    return new Builder(workDir);
  }

  /** How to start a cluster. */
  public static final class Builder {
    private final Path workDir;
    private Homes homes;
    private Manager manager = Manager.STANDALONE;
    private int workers = 2;
    private int workerCores = 1;
    private String workerMemory = "2g";
    private Duration finishedAppTtl = DEFAULT_FINISHED_APP_TTL;
    private Duration startTimeout = Duration.ofMinutes(3);
    private boolean stopOnExit = true;
    private final Map<Integer, List<WorkerResource>> workerResources = new HashMap<>();

    private Builder(Path workDir) {
      this.workDir = workDir.toAbsolutePath().normalize();
    }

    /** The Spark and Hadoop homes (default: {@link Homes#fromSystemProperties()}). */
    public Builder homes(Homes h) {
      this.homes = h;
      return this;
    }

    /**
     * The cluster manager (default {@link Manager#STANDALONE}). With {@link Manager#YARN} the
     * workers are NodeManagers, and worker cores and memory are what each offers to containers.
     */
    public Builder manager(Manager m) {
      this.manager = java.util.Objects.requireNonNull(m);
      return this;
    }

    public Builder workers(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("workers must be >= 1, got " + n);
      }
      this.workers = n;
      return this;
    }

    /** Cores each worker offers ({@code --cores}); also the OMP_NUM_THREADS of its JVMs. */
    public Builder workerCores(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("worker cores must be >= 1, got " + n);
      }
      this.workerCores = n;
      return this;
    }

    /**
     * Memory each worker offers to executors and drivers ({@code --memory}, e.g. 2g; in yarn mode
     * {@code yarn.nodemanager.resource.memory-mb}).
     */
    public Builder workerMemory(String memory) {
      if (!memory.matches("\\d+[kKmMgGtT]")) {
        throw new IllegalArgumentException(
            "worker memory must look like 512m or 2g, got " + memory);
      }
      this.workerMemory = memory;
      return this;
    }

    /**
     * Gives worker {@code worker} (1-based) {@code amount} of a custom resource (e.g. gpu) found by
     * {@code discoveryScript}: {@code spark.worker.resource.<name>.amount} and {@code
     * .discoveryScript}, as SPARK_WORKER_OPTS would on a real standalone worker. The master then
     * hands its addresses to executors that ask for the resource.
     */
    public Builder workerResource(int worker, String name, int amount, Path discoveryScript) {
      if (worker < 1) {
        throw new IllegalArgumentException("workers are numbered from 1, got " + worker);
      }
      if (!name.matches("[A-Za-z][A-Za-z0-9_.-]*") || amount < 1) {
        throw new IllegalArgumentException(
            "a worker resource needs a name (letters, digits, _ . -) and an amount >= 1, got "
                + name
                + " x "
                + amount);
      }
      if (!Files.isExecutable(discoveryScript)) {
        throw new IllegalArgumentException(
            "discovery script " + discoveryScript + " is not an executable file");
      }
      workerResources
          .computeIfAbsent(worker, k -> new ArrayList<>())
          .add(new WorkerResource(name, amount, discoveryScript.toAbsolutePath()));
      return this;
    }

    /**
     * How long a standalone worker keeps the work directory of a finished application (its copy of
     * the application jar, ~150 MB, and the executors' stdout/stderr) before its cleanup deletes it
     * ({@code spark.worker.cleanup.appDataTtl}, checked every ttl; default {@value
     * #DEFAULT_FINISHED_APP_TTL_SECONDS} s). Spark keeps them for 7 days by default, which filled
     * the disk of a CI machine with 10 GB of jar copies; a test or a person reads the logs of the
     * application that just failed well within the default.
     */
    public Builder finishedAppTtl(Duration ttl) {
      if (ttl.toSeconds() < 1) {
        throw new IllegalArgumentException(
            "the finished-application TTL must be >= 1 s, got " + ttl);
      }
      this.finishedAppTtl = ttl;
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Whether the cluster is stopped when this JVM exits without {@link #close()} (default true, so
     * a crashed or interrupted test run leaves no daemons behind; the CLI's {@code start} turns it
     * off because the cluster must outlive it).
     */
    public Builder stopOnExit(boolean stop) {
      this.stopOnExit = stop;
      return this;
    }

    /**
     * Formats HDFS, starts all daemons and waits until the NameNode has a live DataNode and is out
     * of safe mode, and the master sees every worker ALIVE. On failure everything started is
     * stopped and the exception names the log to read.
     */
    public LocalCluster start() throws IOException {
      Homes h = (homes != null ? homes : Homes.fromSystemProperties()).validate();
      return LocalCluster.start(this, h);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // start / attach / stop

  private static LocalCluster start(Builder b, Homes homes) throws IOException {
    Path work = b.workDir;
    Files.createDirectories(work);
    Optional<LocalCluster> running = attachIfPresent(work);
    if (running.isPresent() && running.get().anyAlive()) {
      throw new IllegalStateException(
          "a local cluster is already running in "
              + work
              + " (see "
              + work.resolve(STATE_FILE)
              + "); stop it first");
    }
    for (String owned : List.of("conf", "hdfs", "spark", "yarn", "logs", STATE_FILE)) {
      deleteRecursively(work.resolve(owned));
    }
    Map<String, Integer> ports = freePorts(portNames(b.manager, b.workers));
    writeConf(work, ports);
    if (b.manager == Manager.YARN) {
      writeYarnConf(work, ports, b.workers, megabytes(b.workerMemory), b.workerCores);
    }

    LocalCluster cluster = new LocalCluster(homes, work, b.manager, b.workers, ports, List.of());
    long t0 = System.nanoTime();
    List<Daemon> started = new ArrayList<>();
    try {
      // Spark (or YARN) comes up while the NameNode is being formatted
      if (b.manager == Manager.YARN) {
        started.add(cluster.startResourceManager());
        for (int i = 1; i <= b.workers; i++) {
          started.add(cluster.startNodeManager(i, b.workerCores));
        }
      } else {
        started.add(cluster.startMaster());
        for (int i = 1; i <= b.workers; i++) {
          started.add(
              cluster.startWorker(
                  i,
                  b.workerCores,
                  b.workerMemory,
                  b.finishedAppTtl,
                  b.workerResources.getOrDefault(i, List.of())));
        }
      }
      cluster.formatNameNode();
      started.add(
          0,
          cluster.startHadoopDaemon(
              "datanode", "org.apache.hadoop.hdfs.server.datanode.DataNode", "256m"));
      started.add(
          0,
          cluster.startHadoopDaemon(
              "namenode", "org.apache.hadoop.hdfs.server.namenode.NameNode", "512m"));
      cluster = new LocalCluster(homes, work, b.manager, b.workers, ports, started);
      // written before waiting, so that 'stop' finds the daemons even if this JVM dies now
      cluster.writeState();
      cluster.awaitReady(b.startTimeout);
    } catch (IOException | RuntimeException e) {
      new LocalCluster(homes, work, b.manager, b.workers, ports, started).stop();
      throw e;
    }
    if (b.stopOnExit) {
      LocalCluster c = cluster;
      c.shutdownHook = new Thread(c::stopDaemons, "stop-local-cluster");
      Runtime.getRuntime().addShutdownHook(c.shutdownHook);
    }
    LOG.log(
        System.Logger.Level.INFO,
        "local cluster up in {0} s: {1}, {2}, UI {3}, logs {4}",
        (System.nanoTime() - t0) / 1_000_000_000L,
        cluster.masterUrl(),
        cluster.hdfsUri(),
        b.manager == Manager.YARN ? cluster.resourceManagerWebUrl() : cluster.masterWebUrl(),
        cluster.logDir());
    return cluster;
  }

  /** The cluster described by the state file in {@code workDir} (started by another JVM). */
  public static LocalCluster attach(Path workDir) throws IOException {
    return attachIfPresent(workDir.toAbsolutePath().normalize())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no local cluster state in " + workDir.toAbsolutePath() + " (not started?)"));
  }

  private static Optional<LocalCluster> attachIfPresent(Path work) throws IOException {
    Path file = work.resolve(STATE_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    Map<String, Integer> ports = new HashMap<>();
    List<Daemon> daemons = new ArrayList<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("port.")) {
        ports.put(key.substring("port.".length()), Integer.parseInt(p.getProperty(key)));
      }
    }
    for (String name : p.getProperty("daemons", "").split(",")) {
      if (!name.isBlank()) {
        daemons.add(
            new Daemon(
                name,
                Long.parseLong(p.getProperty("daemon." + name + ".pid")),
                p.getProperty("daemon." + name + ".class"),
                Path.of(p.getProperty("daemon." + name + ".log"))));
      }
    }
    Homes homes =
        new Homes(Path.of(p.getProperty("spark.home")), Path.of(p.getProperty("hadoop.home")));
    Manager manager = Manager.valueOf(p.getProperty("manager", Manager.STANDALONE.name()));
    return Optional.of(
        new LocalCluster(
            homes, work, manager, Integer.parseInt(p.getProperty("workers")), ports, daemons));
  }

  private void writeState() throws IOException {
    Properties p = new Properties();
    p.setProperty("spark.home", homes.spark().toString());
    p.setProperty("hadoop.home", homes.hadoop().toString());
    p.setProperty("manager", manager.name());
    p.setProperty("workers", Integer.toString(workers));
    p.setProperty("master.url", masterUrl());
    p.setProperty("hdfs.uri", hdfsUri());
    if (manager == Manager.YARN) {
      p.setProperty("resourcemanager.web.url", resourceManagerWebUrl());
    } else {
      p.setProperty("rest.url", restUrl());
      p.setProperty("master.web.url", masterWebUrl());
    }
    p.setProperty("namenode.web.url", nameNodeWebUrl());
    ports.forEach((k, v) -> p.setProperty("port." + k, Integer.toString(v)));
    List<String> names = new ArrayList<>();
    for (Daemon d : daemons) {
      names.add(d.name());
      p.setProperty("daemon." + d.name() + ".pid", Long.toString(d.pid()));
      p.setProperty("daemon." + d.name() + ".class", d.mainClass());
      p.setProperty("daemon." + d.name() + ".log", d.log().toString());
    }
    p.setProperty("daemons", String.join(",", names));
    try (OutputStream out = Files.newOutputStream(workDir.resolve(STATE_FILE))) {
      p.store(out, "sparknmt local cluster (org.sparknmt.cluster.LocalCluster)");
    }
  }

  /**
   * Stops every daemon: first its descendants (the executor and driver JVMs a Worker forked), then
   * the daemon itself. Workers and master first, HDFS last. Logs and data stay in the work dir.
   */
  public void stop() {
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down and the hook is running
      }
      shutdownHook = null;
    }
    stopDaemons();
  }

  private void stopDaemons() {
    List<Daemon> order = new ArrayList<>(daemons);
    java.util.Collections.reverse(order);
    for (Daemon d : order) {
      Processes.find(d.pid(), d.mainClass()).ifPresent(Processes::stopTree);
    }
    try {
      Files.deleteIfExists(workDir.resolve(STATE_FILE));
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot delete {0}: {1}", STATE_FILE, e);
    }
  }

  @Override
  public void close() {
    stop();
  }

  boolean anyAlive() {
    return daemons.stream().anyMatch(d -> Processes.find(d.pid(), d.mainClass()).isPresent());
  }

  // ---------------------------------------------------------------------------------------------
  // configuration

  static List<String> portNames(Manager manager, int workers) {
    List<String> names =
        new ArrayList<>(
            List.of(
                "namenode.rpc", "namenode.http", "datanode.data", "datanode.http", "datanode.ipc"));
    if (manager == Manager.YARN) {
      for (String p : List.of("rpc", "scheduler", "tracker", "admin", "web")) {
        names.add("resourcemanager." + p);
      }
      for (int i = 1; i <= workers; i++) {
        for (String p : List.of("rpc", "localizer", "web")) {
          names.add("nodemanager-" + i + "." + p);
        }
      }
      return names;
    }
    names.addAll(List.of("master.rpc", "master.ui", "master.rest"));
    for (int i = 1; i <= workers; i++) {
      names.add("worker-" + i + ".ui");
    }
    return names;
  }

  /** Distinct free ports on 127.0.0.1 (all sockets are held open until every port is chosen). */
  static Map<String, Integer> freePorts(List<String> names) throws IOException {
    Map<String, Integer> out = new LinkedHashMap<>();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (String name : names) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        s.setReuseAddress(true);
        held.add(s);
        out.put(name, s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return out;
  }

  static void writeConf(Path work, Map<String, Integer> ports) throws IOException {
    Map<String, String> core = new LinkedHashMap<>();
    core.put("fs.defaultFS", "hdfs://" + HOST + ":" + ports.get("namenode.rpc"));
    core.put("hadoop.tmp.dir", work.resolve("hdfs/tmp").toString());
    Map<String, String> hdfs = new LinkedHashMap<>();
    hdfs.put("dfs.replication", "1");
    hdfs.put("dfs.permissions.enabled", "false");
    hdfs.put("dfs.namenode.safemode.extension", "0");
    hdfs.put("dfs.namenode.name.dir", work.resolve("hdfs/name").toUri().toString());
    hdfs.put("dfs.datanode.data.dir", work.resolve("hdfs/data").toUri().toString());
    hdfs.put("dfs.namenode.rpc-address", HOST + ":" + ports.get("namenode.rpc"));
    hdfs.put("dfs.namenode.http-address", HOST + ":" + ports.get("namenode.http"));
    hdfs.put("dfs.namenode.secondary.http-address", HOST + ":0");
    hdfs.put("dfs.datanode.address", HOST + ":" + ports.get("datanode.data"));
    hdfs.put("dfs.datanode.http.address", HOST + ":" + ports.get("datanode.http"));
    hdfs.put("dfs.datanode.ipc.address", HOST + ":" + ports.get("datanode.ipc"));
    hdfs.put("dfs.namenode.datanode.registration.ip-hostname-check", "false");
    hdfs.put("dfs.heartbeat.interval", "1");
    for (Path dir : List.of(work.resolve("conf/hadoop"), work.resolve("conf/spark"))) {
      SiteXml.write(dir.resolve("core-site.xml"), core);
      SiteXml.write(dir.resolve("hdfs-site.xml"), hdfs);
    }
    // Hadoop daemons log through reload4j, which prints nothing without a configuration.
    Files.writeString(
        work.resolve("conf/hadoop/log4j.properties"),
        String.join(
            "\n",
            "log4j.rootLogger=INFO, console",
            "log4j.appender.console=org.apache.log4j.ConsoleAppender",
            "log4j.appender.console.target=System.err",
            "log4j.appender.console.layout=org.apache.log4j.PatternLayout",
            "log4j.appender.console.layout.ConversionPattern=%d{HH:mm:ss} %-5p %c{1}: %m%n",
            "log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR",
            ""),
        StandardCharsets.UTF_8);
  }

  /**
   * yarn-site.xml for clients and the ResourceManager (conf/spark, conf/hadoop) with
   * capacity-scheduler.xml, and per NodeManager a conf dir of its own ({@code conf/nodemanager-N}:
   * its ports, local and log dirs).
   */
  static void writeYarnConf(
      Path work, Map<String, Integer> ports, int nodeManagers, int memoryMb, int vcores)
      throws IOException {
    Map<String, String> common = YarnSite.common(ports, memoryMb, vcores, HOST);
    for (Path dir : List.of(work.resolve("conf/hadoop"), work.resolve("conf/spark"))) {
      SiteXml.write(dir.resolve("yarn-site.xml"), common);
    }
    SiteXml.write(work.resolve("conf/hadoop/capacity-scheduler.xml"), YarnSite.capacityScheduler());
    for (int i = 1; i <= nodeManagers; i++) {
      Path conf = work.resolve("conf/nodemanager-" + i);
      Files.createDirectories(conf);
      for (String file : List.of("core-site.xml", "hdfs-site.xml", "log4j.properties")) {
        Files.copy(
            work.resolve("conf/hadoop").resolve(file),
            conf.resolve(file),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Path dir = work.resolve("yarn/nodemanager-" + i);
      Files.createDirectories(dir.resolve("local"));
      Files.createDirectories(dir.resolve("logs"));
      SiteXml.write(
          conf.resolve("yarn-site.xml"), YarnSite.nodeManager(common, ports, i, dir, HOST));
    }
  }

  /** {@code 512m}, {@code 2g} ... in megabytes. */
  static int megabytes(String memory) {
    long n = Long.parseLong(memory.substring(0, memory.length() - 1));
    long mb =
        switch (Character.toLowerCase(memory.charAt(memory.length() - 1))) {
          case 'k' -> n / 1024;
          case 'm' -> n;
          case 'g' -> n * 1024;
          case 't' -> n * 1024 * 1024;
          default -> throw new IllegalArgumentException("not a memory size: " + memory);
        };
    return Math.toIntExact(mb);
  }

  // ---------------------------------------------------------------------------------------------
  // daemons

  private Path hadoopConfDir() {
    return workDir.resolve("conf/hadoop");
  }

  /** Spark's {@code SPARK_CONF_DIR}: core-site.xml and hdfs-site.xml of this cluster. */
  public Path sparkConfDir() {
    return workDir.resolve("conf/spark");
  }

  public Path logDir() {
    return workDir.resolve("logs");
  }

  public Path workDir() {
    return workDir;
  }

  /** The work dir of worker {@code i} (1-based): executor and driver directories with logs. */
  public Path workerDir(int i) {
    return workDir.resolve("spark/worker-" + i);
  }

  public int workers() {
    return workers;
  }

  public Homes homes() {
    return homes;
  }

  private Map<String, String> hadoopEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("HADOOP_CONF_DIR", hadoopConfDir().toString());
    env.put("HADOOP_LOG_DIR", logDir().toString());
    return env;
  }

  /**
   * The directory where NodeManager {@code i} (1-based) keeps the containers' logs: {@code
   * application_*}/{@code container_*}/{@code stdout|stderr}.
   */
  public Path nodeManagerLogDir(int i) {
    return workDir.resolve("yarn/nodemanager-" + i + "/logs");
  }

  /** The environment of every Spark JVM: without these executors cannot even be launched. */
  Map<String, String> sparkEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("SPARK_HOME", homes.spark().toString());
    env.put("SPARK_SCALA_VERSION", homes.scalaBinaryVersion());
    env.put("SPARK_LOCAL_IP", HOST);
    env.put("SPARK_CONF_DIR", sparkConfDir().toString());
    env.put("HADOOP_CONF_DIR", sparkConfDir().toString());
    return env;
  }

  private List<String> hadoopJava(String heap, String mainClass, String... args) {
    return hadoopJava(hadoopConfDir(), heap, mainClass, args);
  }

  private List<String> hadoopJava(Path confDir, String heap, String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Processes.javaExecutable());
    cmd.add("-Xmx" + heap);
    cmd.add("-Dhadoop.log.dir=" + logDir());
    cmd.add("-cp");
    cmd.add(homes.hadoopClassPath(confDir));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  private void formatNameNode() throws IOException {
    Path log = logDir().resolve("namenode-format.log");
    int rc =
        Processes.run(
            hadoopJava(
                "256m",
                "org.apache.hadoop.hdfs.server.namenode.NameNode",
                "-format",
                "-nonInteractive",
                "-force"),
            hadoopEnv(),
            workDir,
            log,
            Duration.ofMinutes(2),
            null);
    if (rc != 0) {
      throw new IOException(
          "formatting the NameNode failed (exit "
              + rc
              + "); see "
              + log
              + ":\n"
              + Processes.tail(log, 20));
    }
  }

  private Daemon startHadoopDaemon(String name, String mainClass, String heap) throws IOException {
    Path log = logDir().resolve(name + ".log");
    Process p = Processes.start(hadoopJava(heap, mainClass), hadoopEnv(), workDir, log);
    return new Daemon(name, p.pid(), mainClass, log);
  }

  private Daemon startResourceManager() throws IOException {
    String mainClass = "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager";
    Path log = logDir().resolve("resourcemanager.log");
    List<String> cmd = hadoopJava("512m", mainClass);
    cmd.addAll(1, YARN_DAEMON_JAVA_OPTIONS);
    Process p = Processes.start(cmd, hadoopEnv(), workDir, log);
    return new Daemon("resourcemanager", p.pid(), mainClass, log);
  }

  /**
   * NodeManager {@code i}: containers are launched by {@code bash} as its child processes with the
   * NodeManager's {@code JAVA_HOME} (this JVM's Java, as hadoop-env.sh would set it) and {@code
   * OMP_NUM_THREADS} = its cores.
   */
  private Daemon startNodeManager(int i, int cores) throws IOException {
    String mainClass = "org.apache.hadoop.yarn.server.nodemanager.NodeManager";
    String name = "nodemanager-" + i;
    Path conf = workDir.resolve("conf/" + name);
    Map<String, String> env = hadoopEnv();
    env.put("HADOOP_CONF_DIR", conf.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("OMP_NUM_THREADS", Integer.toString(cores));
    env.put("OMP_WAIT_POLICY", "PASSIVE");
    Path log = logDir().resolve(name + ".log");
    List<String> cmd = hadoopJava(conf, "384m", mainClass);
    cmd.addAll(1, YARN_DAEMON_JAVA_OPTIONS);
    Process p = Processes.start(cmd, env, workDir, log);
    return new Daemon(name, p.pid(), mainClass, log);
  }

  private Daemon startMaster() throws IOException {
    String mainClass = "org.apache.spark.deploy.master.Master";
    List<String> cmd = sparkJava("512m");
    cmd.add("-Dspark.master.rest.enabled=true");
    cmd.add("-Dspark.master.rest.port=" + ports.get("master.rest"));
    cmd.addAll(
        List.of(
            mainClass,
            "--host",
            HOST,
            "--port",
            ports.get("master.rpc").toString(),
            "--webui-port",
            ports.get("master.ui").toString()));
    Path log = logDir().resolve("master.log");
    Process p = Processes.start(cmd, sparkEnv(), workDir, log);
    return new Daemon("master", p.pid(), mainClass, log);
  }

  private Daemon startWorker(
      int i, int cores, String memory, Duration finishedAppTtl, List<WorkerResource> resources)
      throws IOException {
    String mainClass = "org.apache.spark.deploy.worker.Worker";
    Path dir = workerDir(i);
    Files.createDirectories(dir);
    List<String> cmd = sparkJava("256m");
    cmd.addAll(finishedAppCleanupOptions(finishedAppTtl));
    resources.forEach(r -> cmd.addAll(r.javaOptions()));
    cmd.addAll(
        List.of(
            mainClass,
            "--host",
            HOST,
            "--cores",
            Integer.toString(cores),
            "--memory",
            memory,
            "--webui-port",
            ports.get("worker-" + i + ".ui").toString(),
            "--work-dir",
            dir.toString(),
            masterUrl()));
    Map<String, String> env = sparkEnv();
    // inherited by the executors and drivers this worker forks: ND4J threads = the worker's cores
    env.put("OMP_NUM_THREADS", Integer.toString(cores));
    env.put("OMP_WAIT_POLICY", "PASSIVE"); // no spin-waiting against the other JVMs' threads
    Path log = logDir().resolve("worker-" + i + ".log");
    Process p = Processes.start(cmd, env, workDir, log);
    return new Daemon("worker-" + i, p.pid(), mainClass, log);
  }

  /** The worker's own cleanup of finished applications' work directories, run every ttl. */
  static List<String> finishedAppCleanupOptions(Duration ttl) {
    long seconds = ttl.toSeconds();
    return List.of(
        "-Dspark.worker.cleanup.enabled=true",
        "-Dspark.worker.cleanup.interval=" + seconds,
        "-Dspark.worker.cleanup.appDataTtl=" + seconds);
  }

  private List<String> sparkJava(String heap) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Processes.javaExecutable());
    cmd.add("-cp");
    cmd.add(homes.sparkClassPath(sparkConfDir()));
    cmd.add("-Xmx" + heap);
    return cmd;
  }

  private void awaitReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Daemon d : daemons) {
        if (Processes.find(d.pid(), d.mainClass()).isEmpty()) {
          throw new IOException(
              d.name()
                  + " exited during start-up; see "
                  + d.log()
                  + ":\n"
                  + Processes.tail(d.log(), 25));
        }
      }
      Status s = status();
      if (s.hdfsReady() && s.sparkReady()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "local cluster not ready after "
                + timeout.toSeconds()
                + " s ("
                + s
                + "); see the logs in "
                + logDir());
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the local cluster", e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // status

  /**
   * What the daemons report right now; in yarn mode the workers are the NodeManagers the
   * ResourceManager counts as active.
   */
  public record Status(
      int liveDataNodes,
      String fsState,
      Manager manager,
      int aliveWorkers,
      int expectedWorkers,
      List<String> dead) {
    public boolean hdfsReady() {
      return liveDataNodes >= 1 && "Operational".equals(fsState);
    }

    public boolean sparkReady() {
      return aliveWorkers == expectedWorkers;
    }

    public boolean healthy() {
      return hdfsReady() && sparkReady() && dead.isEmpty();
    }

    @Override
    public String toString() {
      return "HDFS live datanodes="
          + liveDataNodes
          + " state="
          + fsState
          + (manager == Manager.YARN ? ", YARN active NodeManagers=" : ", Spark alive workers=")
          + aliveWorkers
          + "/"
          + expectedWorkers
          + (dead.isEmpty() ? "" : ", not running: " + String.join(", ", dead));
    }
  }

  public Status status() {
    String nn =
        Http.get(nameNodeWebUrl() + "/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")
            .orElse("");
    int alive =
        manager == Manager.YARN
            ? Http.intValue(
                Http.get(resourceManagerWebUrl() + "/ws/v1/cluster/metrics").orElse(""),
                "activeNodes")
            : Http.intValue(Http.get(masterWebUrl() + "/json/").orElse(""), "aliveworkers");
    List<String> dead = new ArrayList<>();
    for (Daemon d : daemons) {
      if (Processes.find(d.pid(), d.mainClass()).isEmpty()) {
        dead.add(d.name());
      }
    }
    return new Status(
        Http.intValue(nn, "NumLiveDataNodes"),
        Http.value(nn, "FSState").orElse("unreachable"),
        manager,
        alive,
        workers,
        dead);
  }

  List<Daemon> daemons() {
    return List.copyOf(daemons);
  }

  /**
   * Stops the DataNode (SIGTERM), keeps it down for {@code down}, starts it again on the same
   * storage and ports and waits until it has sent the NameNode its block report (its blocks are
   * readable again): a DataNode outage, for fault tests. The NameNode keeps the stopped DataNode
   * "live" until its heartbeat expires (minutes), so clients see connection failures meanwhile.
   */
  public void restartDataNode(Duration down) throws IOException, InterruptedException {
    Daemon old =
        daemons.stream()
            .filter(d -> d.name().equals("datanode"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("this cluster has no DataNode"));
    Processes.find(old.pid(), old.mainClass()).ifPresent(Processes::stopTree);
    Thread.sleep(down.toMillis());
    Path log = logDir().resolve("datanode-restarted-" + System.currentTimeMillis() + ".log");
    Process p = Processes.start(hadoopJava("256m", old.mainClass()), hadoopEnv(), workDir, log);
    daemons.set(daemons.indexOf(old), new Daemon(old.name(), p.pid(), old.mainClass(), log));
    writeState();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!Files.exists(log)
        || !Files.readString(log).contains("Successfully sent block report")) {
      if (System.nanoTime() > deadline || Processes.find(p.pid(), old.mainClass()).isEmpty()) {
        throw new IOException("the restarted DataNode did not come up; see " + log);
      }
      Thread.sleep(500);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // addresses

  /**
   * The master for client-mode submissions and SparkContexts: {@code spark://127.0.0.1:port}, or
   * {@code yarn} in yarn mode (the ResourceManager is found through yarn-site.xml in {@code
   * HADOOP_CONF_DIR} = {@link #sparkConfDir()}).
   */
  public String masterUrl() {
    return manager == Manager.YARN ? "yarn" : "spark://" + HOST + ":" + ports.get("master.rpc");
  }

  public Manager manager() {
    return manager;
  }

  /** The ResourceManager's web UI and REST API (yarn mode). */
  public String resourceManagerWebUrl() {
    requireManager(Manager.YARN, "a ResourceManager");
    return "http://" + HOST + ":" + ports.get("resourcemanager.web");
  }

  private void requireManager(Manager m, String what) {
    if (manager != m) {
      throw new IllegalStateException(
          "this local cluster runs "
              + manager.name().toLowerCase(java.util.Locale.ROOT)
              + ", it has no "
              + what
              + (m == Manager.STANDALONE
                  ? " (in yarn mode submit with: HADOOP_CONF_DIR="
                      + sparkConfDir()
                      + " deploy/spark-submit.sh --master yarn ...)"
                  : ""));
    }
  }

  /** The REST submission gateway (cluster deploy mode): {@code spark://127.0.0.1:port}. */
  public String restUrl() {
    requireManager(Manager.STANDALONE, "Spark master REST gateway");
    return "spark://" + HOST + ":" + ports.get("master.rest");
  }

  /** {@code fs.defaultFS}: {@code hdfs://127.0.0.1:port}. */
  public String hdfsUri() {
    return "hdfs://" + HOST + ":" + ports.get("namenode.rpc");
  }

  public String masterWebUrl() {
    requireManager(Manager.STANDALONE, "Spark master");
    return "http://" + HOST + ":" + ports.get("master.ui");
  }

  public String nameNodeWebUrl() {
    return "http://" + HOST + ":" + ports.get("namenode.http");
  }

  // ---------------------------------------------------------------------------------------------
  // submitting jobs

  private List<String> submitCommand(SparkJob job, String master, String deployMode, String jar) {
    String driverOptions = driverJavaOptions(job);
    // as bin/spark-submit: in client mode the driver's options are options of this very JVM
    String jvmOptions = "client".equals(deployMode) ? driverOptions : job.javaOptions();
    List<String> opts = jvmOptions.isEmpty() ? List.of() : Arrays.asList(jvmOptions.split("\\s+"));
    List<String> cmd = new ArrayList<>();
    cmd.add(Processes.javaExecutable());
    cmd.add("-cp");
    cmd.add(homes.sparkClassPath(sparkConfDir()));
    // as bin/spark-submit: in client mode the driver memory is the heap of this very JVM
    cmd.add("-Xmx" + ("client".equals(deployMode) ? job.driverMemory() : "256m"));
    cmd.addAll(opts);
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(List.of("--master", master, "--deploy-mode", deployMode));
    cmd.addAll(List.of("--driver-memory", job.driverMemory()));
    Map<String, String> conf = new LinkedHashMap<>();
    if (!job.javaOptions().isEmpty()) {
      conf.put("spark.driver.extraJavaOptions", job.javaOptions());
      conf.put("spark.executor.extraJavaOptions", job.javaOptions());
    }
    if ("client".equals(deployMode)) {
      conf.put("spark.driver.host", HOST);
    } else {
      conf.put("spark.master.rest.enabled", "true");
    }
    conf.putAll(job.conf());
    if (!driverOptions.isEmpty()) {
      conf.put("spark.driver.extraJavaOptions", driverOptions);
    }
    conf.forEach(
        (k, v) -> {
          cmd.add("--conf");
          cmd.add(k + "=" + v);
        });
    cmd.addAll(List.of("--class", job.mainClass(), jar));
    cmd.addAll(job.args());
    return cmd;
  }

  /**
   * The driver's Java options: the job's Java options (the build's), then its {@code
   * spark.driver.extraJavaOptions}, as bin/spark-submit combines them.
   */
  static String driverJavaOptions(SparkJob job) {
    return (job.javaOptions() + " " + job.conf().getOrDefault("spark.driver.extraJavaOptions", ""))
        .trim();
  }

  private Path submitLog(SparkJob job, String mode) {
    String stamp = Long.toString(System.currentTimeMillis());
    return logDir().resolve("submit-" + job.name() + "-" + mode + "-" + stamp + ".log");
  }

  private Map<String, String> submitEnv() {
    Map<String, String> env = sparkEnv();
    env.putIfAbsent("OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
    env.putIfAbsent("OMP_WAIT_POLICY", System.getenv().getOrDefault("OMP_WAIT_POLICY", "PASSIVE"));
    return env;
  }

  /**
   * Runs the job in client deploy mode (the driver is the SparkSubmit JVM, a child of this one) and
   * waits for it; the exit code is the job's result.
   */
  public SparkJob.ClientRun submitClient(SparkJob job) throws IOException {
    return submitClient(job, null);
  }

  /** As {@link #submitClient(SparkJob)}, also copying the job's output to {@code echo}. */
  public SparkJob.ClientRun submitClient(SparkJob job, OutputStream echo) throws IOException {
    requireJar(job);
    Path log = submitLog(job, "client");
    List<String> cmd = submitCommand(job, masterUrl(), "client", job.appJar().toString());
    LOG.log(System.Logger.Level.INFO, "submitting {0} (client mode), log {1}", job.name(), log);
    int rc = Processes.run(cmd, submitEnv(), workDir, log, job.timeout(), echo);
    return new SparkJob.ClientRun(rc, log);
  }

  /**
   * Submits the job in cluster deploy mode through the master's REST gateway and polls the driver's
   * state until it is final. SparkSubmit's own exit code is not the job's result in standalone
   * cluster mode (it is 0 even when the driver failed); the returned state is.
   */
  public SparkJob.DriverRun submitCluster(SparkJob job) throws IOException {
    requireJar(job);
    Path log = submitLog(job, "cluster");
    List<String> cmd = submitCommand(job, restUrl(), "cluster", job.appJar().toUri().toString());
    LOG.log(
        System.Logger.Level.INFO, "submitting {0} (cluster mode, REST), log {1}", job.name(), log);
    long deadline = System.nanoTime() + job.timeout().toNanos();
    int rc = Processes.run(cmd, submitEnv(), workDir, log, job.timeout(), null);
    Matcher m = DRIVER_ID.matcher(Files.readString(log));
    if (rc != 0 || !m.find()) {
      throw new IOException(
          "submission of "
              + job.name()
              + " through "
              + restUrl()
              + " failed (exit "
              + rc
              + "); see "
              + log
              + ":\n"
              + Processes.tail(log, 20));
    }
    String driverId = m.group(1);
    String state = awaitDriver(driverId, deadline);
    return new SparkJob.DriverRun(driverId, state, log, findDriverDir(driverId).orElse(null));
  }

  private String awaitDriver(String driverId, long deadline) throws IOException {
    String url =
        "http://" + HOST + ":" + ports.get("master.rest") + "/v1/submissions/status/" + driverId;
    String state = "UNKNOWN";
    while (System.nanoTime() < deadline) {
      Optional<String> body = Http.get(url);
      if (body.isPresent()) {
        state = Http.value(body.get(), "driverState").orElse(state);
        if (TERMINAL_DRIVER_STATES.contains(state)) {
          return state;
        }
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + driverId, e);
      }
    }
    Http.post(
        "http://" + HOST + ":" + ports.get("master.rest") + "/v1/submissions/kill/" + driverId);
    throw new IOException(
        "driver " + driverId + " did not finish in time (last state " + state + "); killed it");
  }

  private Optional<Path> findDriverDir(String driverId) {
    for (int i = 1; i <= workers; i++) {
      Path dir = workerDir(i).resolve(driverId);
      if (Files.isDirectory(dir)) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }

  private static void requireJar(SparkJob job) {
    if (!Files.isRegularFile(job.appJar())) {
      throw new IllegalArgumentException(
          "application jar "
              + job.appJar()
              + " does not exist (build it: mvn -pl spark-jobs package)");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HDFS

  /** Output of an HDFS shell command. */
  public record FsResult(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code hdfs dfs <args>} ({@code org.apache.hadoop.fs.FsShell}) against this cluster in a
   * child JVM on the Hadoop home's class path, e.g. {@code hdfs("-cat", "/out/result.json")}.
   */
  public FsResult hdfs(String... args) throws IOException {
    return hdfs(null, args);
  }

  /**
   * {@link #hdfs(String...)} that stops the command after {@code timeout} (null: waits as long as
   * the command runs, e.g. a long {@code -put}).
   */
  public FsResult hdfs(Duration timeout, String... args) throws IOException {
    Path out = Files.createTempFile(logDir(), "fsshell-", ".out");
    Path err = logDir().resolve("fsshell.log");
    List<String> cmd = hadoopJava("256m", "org.apache.hadoop.fs.FsShell", args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().putAll(hadoopEnv());
    pb.redirectOutput(out.toFile());
    pb.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    long errStart = Files.exists(err) ? Files.size(err) : 0;
    Process p = pb.start();
    try {
      if (timeout == null) {
        p.waitFor();
      } else if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        Processes.stopTree(p.toHandle());
        throw new IOException(
            "hdfs dfs "
                + String.join(" ", args)
                + " did not finish in "
                + timeout.toSeconds()
                + " s; see "
                + err);
      }
      String stdout = Files.readString(out);
      byte[] all = Files.readAllBytes(err);
      String stderr =
          new String(all, (int) errStart, all.length - (int) errStart, StandardCharsets.UTF_8);
      return new FsResult(p.exitValue(), stdout, stderr);
    } catch (InterruptedException e) {
      Processes.stopTree(p.toHandle());
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: hdfs dfs " + String.join(" ", args), e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Copies local files into the HDFS directory {@code dstDir} (created if missing; overwrites). */
  public void put(String dstDir, Path... local) throws IOException {
    checked(hdfs("-mkdir", "-p", dstDir), "-mkdir -p " + dstDir);
    List<String> args = new ArrayList<>(List.of("-put", "-f"));
    for (Path l : local) {
      args.add(l.toAbsolutePath().toString());
    }
    args.add(dstDir);
    checked(hdfs(args.toArray(String[]::new)), "-put into " + dstDir);
  }

  /** The content of an HDFS file as text. */
  public String cat(String path) throws IOException {
    return checked(hdfs("-cat", path), "cat " + path).stdout();
  }

  private static FsResult checked(FsResult r, String what) throws IOException {
    if (r.exitCode() != 0) {
      throw new IOException(
          "hdfs dfs " + what + " failed (exit " + r.exitCode() + "): " + r.stderr());
    }
    return r;
  }

  // ---------------------------------------------------------------------------------------------

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public String toString() {
    return "LocalCluster[" + masterUrl() + ", " + hdfsUri() + ", " + workDir + "]";
  }
}
