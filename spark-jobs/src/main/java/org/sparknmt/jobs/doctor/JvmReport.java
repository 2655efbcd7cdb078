package org.sparknmt.jobs.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.SparkEnv;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.sparknmt.jobs.BuildInfo;

/**
 * What one JVM of the job (the driver or an executor) runs on: Java, Spark, Hadoop, DL4J/ND4J
 * versions, the ND4J backend and its BLAS, the CPU's SIMD features and the thread settings that
 * decide ND4J's speed. Plain string pairs, so executors can send them to the driver.
 */
public final class JvmReport {
  /** CPU flags that matter for ND4J/OpenBLAS kernels (from {@code /proc/cpuinfo}). */
  private static final String SIMD_FLAGS = "sse4_1|sse4_2|avx|avx2|fma|f16c|avx512\\w*|amx\\w*";

  private JvmReport() {}

  /** Collects the report of the current JVM. */
  public static LinkedHashMap<String, String> collect() {
    LinkedHashMap<String, String> r = new LinkedHashMap<>();
    SparkEnv env = SparkEnv.get();
    r.put("executor.id", env != null ? env.executorId() : "none");
    r.put("host", hostName());
    r.put("pid", Long.toString(ProcessHandle.current().pid()));
    r.put(
        "java",
        System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ", "
            + System.getProperty("java.vm.name")
            + ")");
    r.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    r.put("heap.max", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
    r.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    r.put("hadoop", org.apache.hadoop.util.VersionInfo.getVersion());
    r.put("nd4j", mavenVersion("org.nd4j", "nd4j-api"));
    r.put("deeplearning4j-nn", mavenVersion("org.deeplearning4j", "deeplearning4j-nn"));
    r.put("dl4j-spark", mavenVersion("org.deeplearning4j", "dl4j-spark_2.12"));
    r.put("nd4j.backend", Nd4j.getBackend().getClass().getName());
    Environment nd4jEnv = Nd4j.getEnvironment();
    r.put("nd4j.backend.cpu", Boolean.toString(nd4jEnv.isCPU()));
    r.put("blas.vendor", String.valueOf(Nd4j.factory().blas().getBlasVendor()));
    // ND4J's CPU backend reports 0.0.0 for its bundled OpenBLAS: take the preset's version then
    r.put(
        "blas.version",
        nd4jEnv.blasMajorVersion() > 0
            ? nd4jEnv.blasMajorVersion()
                + "."
                + nd4jEnv.blasMinorVersion()
                + "."
                + nd4jEnv.blasPatchVersion()
            : "org.bytedeco:openblas " + mavenVersion("org.bytedeco", "openblas"));
    r.put("blas.threads", Integer.toString(Nd4j.factory().blas().getMaxThreads()));
    r.put("nd4j.threads", Integer.toString(nd4jEnv.maxThreads()));
    r.put("nd4j.master-threads", Integer.toString(nd4jEnv.maxMasterThreads()));
    NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
    r.put(
        "libnd4j.binary-level",
        simdLevel(ops.binaryLevel()) + " (CPU optimum: " + simdLevel(ops.optimalLevel()) + ")");
    r.put(
        "libnd4j.requirements",
        "minimal "
            + (ops.isMinimalRequirementsMet() ? "met" : "NOT met")
            + ", optimal "
            + (ops.isOptimalRequirementsMet() ? "met" : "not met"));
    r.put("libnd4j.build", ops.buildInfo().replaceAll("\\s+", " ").trim());
    r.put("cpu.cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    r.put("cpu.model", cpuInfo("model name"));
    r.put("cpu.simd", simdFlags(cpuInfo("flags")));
    for (String var :
        new String[] {
          "OMP_NUM_THREADS",
          "OMP_WAIT_POLICY",
          "OPENBLAS_NUM_THREADS",
          "OPENBLAS_CORETYPE",
          "MKL_NUM_THREADS"
        }) {
      r.put("env." + var, System.getenv().getOrDefault(var, "(unset)"));
    }
    List<String> jvmArguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    r.put(
        "jvm.arguments.add-opens",
        Long.toString(jvmArguments.stream().filter(a -> a.startsWith("--add-opens")).count()));
    r.put("jvm.options.missing", missingBuildOptions(jvmArguments));
    return r;
  }

  /**
   * The build's Java options ({@link BuildInfo#javaOptions()}) that a JVM started with {@code
   * jvmArguments} lacks, or {@code none}: shows whether spark-submit, the image or the cluster
   * passed them to the driver and to every executor.
   */
  static String missingBuildOptions(List<String> jvmArguments) {
    List<String> missing =
        Arrays.stream(BuildInfo.javaOptions().split("\\s+"))
            .filter(option -> !jvmArguments.contains(option))
            .toList();
    return missing.isEmpty() ? "none" : String.join(" ", missing);
  }

  /** libnd4j's SIMD level codes (as its CPU factory prints them at start-up). */
  static String simdLevel(int level) {
    return switch (level) {
      case 3 -> "AVX512";
      case 2 -> "AVX/AVX2";
      default -> "generic x86";
    };
  }

  /** The SIMD-related subset of a {@code /proc/cpuinfo} flags line, sorted. */
  static String simdFlags(String flags) {
    return Arrays.stream(flags.split("\\s+"))
        .filter(f -> f.matches(SIMD_FLAGS))
        .collect(Collectors.toCollection(TreeSet::new))
        .stream()
        .collect(Collectors.joining(" "));
  }

  private static String cpuInfo(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equals(field)) {
          return line.substring(colon + 1).trim();
        }
      }
      return "(not in /proc/cpuinfo)";
    } catch (IOException e) {
      return "(no /proc/cpuinfo: " + e.getMessage() + ")";
    }
  }

  private static String mavenVersion(String group, String artifact) {
    String res = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = JvmReport.class.getResourceAsStream(res)) {
      if (in == null) {
        return "(unknown)";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "(unknown)");
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "(unknown)";
    }
  }

  /** Renders a report as indented {@code key = value} lines. */
  public static String render(Map<String, String> report) {
    int width = report.keySet().stream().mapToInt(String::length).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    report.forEach(
        (k, v) ->
            sb.append("  ")
                .append(k)
                .append(" ".repeat(width - k.length()))
                .append(" = ")
                .append(v)
                .append('\n'));
    return sb.toString();
  }
}
