package org.sparknmt.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.gpu.StageResourceLog;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.kryo.NdArrayKryoRegistrator;

/**
 * Creates the job's SparkSession from {@code sparknmt.spark.*}: the master only when spark-submit
 * did not set one (so the same job runs in local mode from the runner and on a cluster unchanged),
 * Kryo with ND4J's registrator, and the executor settings ND4J needs — its off-heap limits ({@code
 * org.bytedeco.javacpp.maxbytes}/{@code maxphysicalbytes}), {@code OMP_NUM_THREADS} = the
 * executor's cores (ND4J slows down 10–20× when oversubscribed) with {@code
 * OMP_WAIT_POLICY=PASSIVE}, and the Java options of the build; then logs the driver in to Kerberos
 * if a principal and keytab are given ({@link KerberosLogin}). With stage-level scheduling on
 * ({@link StageResources}) the Spark settings it needs are checked here, before Spark starts, and
 * {@link StageResourceLog} records which executors ran each stage.
 */
public final class Sessions {
  private Sessions() {}

  /**
   * The session, with this JVM logged in to Kerberos when {@code spark.kerberos.principal}/{@code
   * keytab} are set ({@link KerberosLogin}): before the job reads or writes anything.
   */
  public static SparkSession create(Settings settings, String appName) {
    SparkSession spark = SparkSession.builder().config(sparkConf(settings, appName)).getOrCreate();
    try {
      KerberosLogin.apply(
          spark.sparkContext().getConf(), spark.sparkContext().hadoopConfiguration());
    } catch (RuntimeException e) {
      spark.close();
      throw e;
    }
    return spark;
  }

  /** {@code sparknmt.storage.umask}, checked: three or four octal digits. */
  static String umask(Settings settings) {
    String umask = settings.string("sparknmt.storage.umask");
    if (!umask.matches("[0-7]{3,4}")) {
      throw new UserError(
          "configuration key 'sparknmt.storage.umask' = '"
              + umask
              + "': allowed an octal umask such as 027 (directories 0750, files 0640)");
    }
    return umask;
  }

  static SparkConf sparkConf(Settings settings, String appName) {
    SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
    if (!conf.contains("spark.master")) {
      conf.setMaster(settings.string("sparknmt.spark.master"));
    }
    if (!conf.contains("spark.app.name")) {
      conf.setAppName("sparknmt " + appName);
    }
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    conf.set("spark.kryo.registrator", NdArrayKryoRegistrator.class.getName());
    // parameter averaging broadcasts 12 bytes per parameter every round: an executor fetches a
    // broadcast piece by piece (a block-manager lookup and a fetch each), so 32 MB pieces instead
    // of 4 MB, and no LZ4 over float data that does not compress (docs/BENCHMARKS.md, "Scaling")
    conf.setIfMissing("spark.broadcast.blockSize", "32m");
    conf.setIfMissing("spark.broadcast.compress", "false");
    // every round returns each worker's parameters and Adam state to the driver (12 bytes per
    // parameter: 555 MB for the base model), so Spark's 1 GB cap on a job's results stopped the
    // base model at its first round with two workers; the driver's heap is the real bound
    conf.setIfMissing("spark.driver.maxResultSize", "0");

    int ompThreads = settings.integer("sparknmt.nd4j.executor-omp-threads", 1, 1024);
    conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(ompThreads));
    // idle OpenMP threads sleep instead of spin-waiting against the executor's other tasks: with
    // spinning, 2 ND4J threads on 2 cores trained 1.8x slower than 1 (docs/BENCHMARKS.md)
    conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
    conf.setIfMissing(
        "spark.executor.memoryOverhead", settings.string("sparknmt.nd4j.executor-memory-overhead"));
    String nd4jMemory =
        "-Dorg.bytedeco.javacpp.maxbytes="
            + settings.string("sparknmt.nd4j.executor-max-bytes")
            + " -Dorg.bytedeco.javacpp.maxphysicalbytes="
            + settings.string("sparknmt.nd4j.executor-max-physical-bytes");
    String userExecutorOpts = conf.get("spark.executor.extraJavaOptions", "");
    conf.set(
        "spark.executor.extraJavaOptions",
        (userExecutorOpts + " " + BuildInfo.javaOptions() + " " + nd4jMemory).trim());

    conf.setIfMissing("spark.hadoop.fs.permissions.umask-mode", umask(settings));

    Config extra = settings.raw().getConfig("sparknmt.spark.conf");
    for (Map.Entry<String, com.typesafe.config.ConfigValue> e : extra.entrySet()) {
      // entrySet gives path expressions: "spark.sql.shuffle.partitions" = 8 comes back quoted
      String key = String.join(".", ConfigUtil.splitPath(e.getKey()));
      conf.set(key, String.valueOf(e.getValue().unwrapped()));
    }
    StageResources devices = StageResources.from(settings);
    devices.check(conf);
    if (devices.stageLevel()) {
      String listeners = conf.get("spark.extraListeners", "");
      conf.set(
          "spark.extraListeners",
          (listeners.isEmpty() ? "" : listeners + ",") + StageResourceLog.class.getName());
    }
    return conf;
  }
}
