package org.sparknmt.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Values the parent POM filters into {@code sparknmt/build.properties} at build time: the project
 * and library versions, and the Java options every JVM of the system runs with. The POM is the one
 * place these are written; everything else (tests, launcher, deploy scripts) reads them from here.
 */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/sparknmt/build.properties")) {
      if (in == null) {
        throw new IllegalStateException("sparknmt/build.properties missing from the classpath");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** A value of build.properties, e.g. {@code spark.version}. */
  public static String get(String key) {
    String v = PROPS.getProperty(key);
    if (v == null) {
      throw new IllegalArgumentException("no build property " + key);
    }
    return v;
  }

  public static String version() {
    return get("version");
  }

  /**
   * The Java 17 options (Spark's module options plus dl4j-spark's time source) as one
   * space-separated string.
   */
  public static String javaOptions() {
    return get("java.options");
  }
}
