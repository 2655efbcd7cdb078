package org.sparknmt.jobs;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.doctor.ExecutorProbe;
import org.sparknmt.jobs.doctor.FsCheck;
import org.sparknmt.jobs.doctor.JvmReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks a platform before any real work runs on it: prints what the driver and every executor run
 * on (Java, Spark, Hadoop, ND4J and its backend, BLAS, CPU features, thread settings) and checks
 * write / read / rename / delete under each {@code --path}. Any failure exits non-zero with one
 * message naming what failed.
 *
 * <pre>spark-submit --class org.sparknmt.jobs.DoctorJob sparknmt-app.jar --path hdfs:///tmp</pre>
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = "Print the runtime of the driver and every executor; check a Hadoop file system.")
public final class DoctorJob implements Callable<Integer> {
  @Mixin ConfigOptions conf = new ConfigOptions();

  @Option(
      names = "--path",
      required = true,
      paramLabel = "URI",
      description =
          "Hadoop URI to check (repeatable), e.g. hdfs://namenode:8020/tmp or file:///tmp;"
              + " a scheme-less path uses fs.defaultFS")
  List<String> paths;

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    Cli.main(new DoctorJob(), args);
  }

  @Override
  public Integer call() {
    Settings settings = Settings.load(conf);
    List<URI> uris = paths.stream().map(FsCheck::parse).toList();
    Duration wait =
        Duration.ofSeconds(settings.integer("sparknmt.doctor.executor-wait-seconds", 1, 3600));
    PrintWriter out = spec.commandLine().getOut();
    try (SparkSession spark = Sessions.create(settings, "doctor")) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      out.println("== driver (master " + jsc.master() + ")");
      out.print(JvmReport.render(JvmReport.collect()));
      out.flush();
      // file systems first: a bad path fails before waiting for every executor
      FsCheck fs = new FsCheck(jsc, out);
      for (URI uri : uris) {
        fs.check(uri);
      }
      Map<String, Map<String, String>> executors = ExecutorProbe.run(jsc, wait);
      for (Map.Entry<String, Map<String, String>> e : executors.entrySet()) {
        out.println("== executor " + e.getKey());
        out.print(JvmReport.render(e.getValue()));
      }
      out.println("executors reporting: " + executors.size());
      out.flush();
    }
    out.println("doctor: all checks passed");
    out.flush();
    return Cli.EXIT_OK;
  }
}
