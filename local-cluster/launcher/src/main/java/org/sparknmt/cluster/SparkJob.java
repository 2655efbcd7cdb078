package org.sparknmt.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to submit: the application jar, its main class and arguments, Spark properties, and the Java
 * options every driver and executor JVM of the application needs (the build's {@code
 * sparknmt.java.options}; spark-submit's own launcher would add Spark's module options, the
 * launcher here passes these instead).
 */
public final class SparkJob {
  private final Path appJar;
  private final String mainClass;
  private final List<String> args = new ArrayList<>();
  private final Map<String, String> conf = new LinkedHashMap<>();
  private String javaOptions = "";
  private String driverMemory = "1g";
  private String name;
  private Duration timeout = Duration.ofMinutes(10);

  private SparkJob(Path appJar, String mainClass) {
    this.appJar = appJar.toAbsolutePath().normalize();
    this.mainClass = Objects.requireNonNull(mainClass);
    this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
  }

  public static SparkJob of(Path appJar, String mainClass, String... args) {
    return new SparkJob(appJar, mainClass).args(args);
  }

  public SparkJob args(String... more) {
    args.addAll(List.of(more));
    return this;
  }

  /** A Spark property ({@code --conf key=value}). */
  public SparkJob conf(String key, String value) {
    conf.put(key, value);
    return this;
  }

  public SparkJob javaOptions(String options) {
    this.javaOptions = Objects.requireNonNull(options).trim();
    return this;
  }

  public SparkJob driverMemory(String memory) {
    this.driverMemory = memory;
    return this;
  }

  /** Names the log files of this submission (default: the main class's simple name). */
  public SparkJob name(String logName) {
    this.name = logName;
    return this;
  }

  public SparkJob timeout(Duration limit) {
    this.timeout = limit;
    return this;
  }

  public Path appJar() {
    return appJar;
  }

  public String mainClass() {
    return mainClass;
  }

  public List<String> args() {
    return List.copyOf(args);
  }

  /** The Spark properties in the order they were set. */
  public Map<String, String> conf() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(conf));
  }

  public String javaOptions() {
    return javaOptions;
  }

  public String driverMemory() {
    return driverMemory;
  }

  public String name() {
    return name;
  }

  public Duration timeout() {
    return timeout;
  }

  /** The result of a client-mode submission: SparkSubmit's exit code and its log. */
  public record ClientRun(int exitCode, Path log) {
    public String output() {
      try {
        return java.nio.file.Files.readString(log);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * The result of a cluster-mode submission: the driver's id and final state ({@code FINISHED},
   * {@code FAILED}, {@code KILLED}, {@code ERROR}), the submission log, and the driver's own
   * stdout/stderr in the worker that ran it (null if it never started).
   */
  public record DriverRun(String driverId, String state, Path submitLog, Path driverDir) {
    public boolean succeeded() {
      return "FINISHED".equals(state);
    }

    public String driverStdout() {
      return read("stdout");
    }

    public String driverStderr() {
      return read("stderr");
    }

    private String read(String file) {
      if (driverDir == null) {
        return "";
      }
      try {
        return java.nio.file.Files.readString(driverDir.resolve(file));
      } catch (java.io.IOException e) {
        return "";
      }
    }
  }
}
