package org.sparknmt.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The two directories the cluster runs from, assembled from Maven Central jars by the {@code
 * local-cluster/spark-home} and {@code local-cluster/hadoop-home} modules: a Spark home ({@code
 * jars/}) and a Hadoop home ({@code jars/} + {@code webapps/}).
 */
public record Homes(Path spark, Path hadoop) {
  /** System property naming the Spark home (default: the build output in the repository). */
  public static final String SPARK_HOME_PROPERTY = "sparknmt.spark.home";

  /** System property naming the Hadoop home (default: the build output in the repository). */
  public static final String HADOOP_HOME_PROPERTY = "sparknmt.hadoop.home";

  static final String SPARK_HOME_IN_REPO = "local-cluster/spark-home/target/spark-home";
  static final String HADOOP_HOME_IN_REPO = "local-cluster/hadoop-home/target/hadoop-home";

  public Homes {
    spark = spark.toAbsolutePath().normalize();
    hadoop = hadoop.toAbsolutePath().normalize();
  }

  /**
   * The homes named by the system properties, else the build outputs of the repository that
   * contains the current directory.
   */
  public static Homes fromSystemProperties() {
    return new Homes(
        locate(SPARK_HOME_PROPERTY, SPARK_HOME_IN_REPO),
        locate(HADOOP_HOME_PROPERTY, HADOOP_HOME_IN_REPO));
  }

  private static Path locate(String property, String inRepo) {
    String explicit = System.getProperty(property);
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("local-cluster"))) {
        return dir.resolve(inRepo);
      }
    }
    return Path.of(inRepo);
  }

  /** Fails with a message saying how to build a home that is missing or incomplete. */
  public Homes validate() {
    requireJars(spark, "Spark", "local-cluster/spark-home", SPARK_HOME_PROPERTY);
    requireJars(hadoop, "Hadoop", "local-cluster/hadoop-home", HADOOP_HOME_PROPERTY);
    if (!Files.isDirectory(hadoop.resolve("webapps/hdfs"))) {
      throw new IllegalStateException(
          "Hadoop home "
              + hadoop
              + " has no webapps/hdfs (the NameNode cannot start without it): build it with "
              + "'mvn -pl local-cluster/hadoop-home package'");
    }
    return this;
  }

  private static void requireJars(Path home, String what, String module, String property) {
    Path jars = home.resolve("jars");
    boolean ok;
    try (Stream<Path> s = Files.isDirectory(jars) ? Files.list(jars) : Stream.empty()) {
      ok = s.anyMatch(p -> p.getFileName().toString().endsWith(".jar"));
    } catch (IOException e) {
      ok = false;
    }
    if (!ok) {
      throw new IllegalStateException(
          what
              + " home "
              + home
              + " has no jars/*.jar: build it with 'mvn -pl "
              + module
              + " package' or point -D"
              + property
              + " at one");
    }
  }

  /**
   * The Scala binary version of the Spark jars ({@code spark-core_2.12-*.jar} gives 2.12): Spark's
   * launcher needs it as {@code SPARK_SCALA_VERSION} or no executor can be started.
   */
  public String scalaBinaryVersion() {
    try (Stream<Path> s = Files.list(spark.resolve("jars"))) {
      return s.map(p -> p.getFileName().toString())
          .map(SPARK_CORE_JAR::matcher)
          .filter(java.util.regex.Matcher::matches)
          .map(m -> m.group(1))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no spark-core_<scala>-*.jar in " + spark + "/jars"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static final java.util.regex.Pattern SPARK_CORE_JAR =
      java.util.regex.Pattern.compile("spark-core_(\\d+\\.\\d+)-.*\\.jar");

  /** Class path of Spark JVMs: the cluster's Spark conf dir first, then every jar of the home. */
  String sparkClassPath(Path sparkConfDir) {
    return sparkConfDir + java.io.File.pathSeparator + spark.resolve("jars") + "/*";
  }

  /** Class path of HDFS JVMs: conf dir, jars, and the home itself (for {@code webapps/}). */
  String hadoopClassPath(Path hadoopConfDir) {
    String sep = java.io.File.pathSeparator;
    return hadoopConfDir + sep + hadoop.resolve("jars") + "/*" + sep + hadoop;
  }
}
