package org.sparknmt.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * fp32 GEMM throughput of ND4J (C = A·B, square n×n, row-major), measured like {@code
 * gemm_bench.py} of the PyTorch peer: 2·n³ FLOPs per multiply; after a warm-up each repeat times
 * {@code inner} back-to-back multiplies (enough for {@code --min-time} seconds); the median and
 * min–max over the repeats are reported. Threads come from {@code OMP_NUM_THREADS} (set by the
 * caller, as for every ND4J JVM).
 *
 * <p>Usage: {@code GemmBench [--sizes 1024 2048] [--repeats 15] [--min-time 0.2] [--label X]}.
 * Prints one human-readable line per size and a final JSON line (keys as in the peer's output).
 */
public final class GemmBench {

  private GemmBench() {}

  public static void main(String[] args) {
    List<Integer> sizes = new ArrayList<>(List.of(1024, 2048));
    List<String> ops = new ArrayList<>(List.of("gemm", "mmul"));
    int repeats = 15;
    double minTime = 0.2;
    String label = "";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> {
          sizes.clear();
          while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
            sizes.add(Integer.parseInt(args[++i]));
          }
        }
        case "--ops" -> {
          ops.clear();
          while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
            ops.add(args[++i]);
          }
        }
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--min-time" -> minTime = Double.parseDouble(args[++i]);
        case "--label" -> label = args[++i];
        default -> {
          System.err.println("unknown argument: " + args[i]);
          System.exit(2);
        }
      }
    }

    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    String blas = blasDescription(env);
    int threads = ompThreads();
    List<String> results = new ArrayList<>();
    for (int n : sizes) {
      for (String op : ops) {
        double[] r = bench(op, n, repeats, minTime);
        System.out.printf(
            Locale.ROOT,
            "nd4j-%-4s n=%-5d threads=%d  GFLOP/s median %.1f  (min %.1f, max %.1f; %d x %d)"
                + "  per CPU-s %.1f  [%s]%n",
            op,
            n,
            threads,
            r[0],
            r[1],
            r[2],
            repeats,
            (int) r[3],
            r[4],
            label);
        results.add(
            String.format(
                Locale.ROOT,
                "{\"op\": \"%s\", \"n\": %d, \"median\": %.2f, \"min\": %.2f, \"max\": %.2f,"
                    + " \"repeats\": %d, \"inner\": %d, \"cpu_median\": %.2f}",
                op,
                n,
                r[0],
                r[1],
                r[2],
                repeats,
                (int) r[3],
                r[4]));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "{\"label\": \"%s\", \"backend\": \"nd4j\", \"threads\": %d, \"blas\": \"%s\","
            + " \"results\": [%s]}%n",
        label,
        threads,
        blas,
        String.join(", ", results));
    System.out.flush();
    System.exit(0);
  }

  /** Returns {median, min, max, inner} GFLOP/s of {@code op} on n×n times n×n. */
  static double[] bench(String op, int n, int repeats, double minTime) {
    Nd4j.getRandom().setSeed(42);
    INDArray a = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
    INDArray b = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
    INDArray c = Nd4j.create(DataType.FLOAT, new long[] {n, n}, 'c');
    // gemm: BLAS sgemm directly; mmul: INDArray.mmuli, the path DL4J layers take.
    Runnable mm =
        switch (op) {
          case "gemm" -> () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
          case "mmul" -> () -> a.mmuli(b, c);
          default -> throw new IllegalArgumentException("--ops gemm|mmul, not " + op);
        };
    mm.run();
    mm.run();
    check(a, b, c);
    double one = Double.MAX_VALUE; // fastest of 3 calls: a busy machine must not shrink `inner`
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      mm.run();
      one = Math.min(one, (System.nanoTime() - t0) / 1e9);
    }
    int inner = Math.max(1, (int) (minTime / Math.max(one, 1e-6)));
    double flops = 2.0 * n * (double) n * n;
    double[] rates = new double[repeats];
    double[] cpuRates = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long s = System.nanoTime();
      long cpu = processCpuNanos();
      for (int i = 0; i < inner; i++) {
        mm.run();
      }
      double dt = (System.nanoTime() - s) / 1e9;
      double dcpu = (processCpuNanos() - cpu) / 1e9;
      rates[r] = flops * inner / dt / 1e9;
      cpuRates[r] = flops * inner / dcpu / 1e9;
    }
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    return new double[] {
      median(rates), sorted[0], sorted[sorted.length - 1], inner, median(cpuRates)
    };
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length;
    return m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
  }

  /**
   * CPU time of the whole process (all threads). GFLOP per CPU-second stays meaningful on a machine
   * other processes keep busy, where wall-clock rates mostly measure the contention.
   */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** A fast BLAS that computes garbage is worth nothing: spot-check entries in double precision. */
  private static void check(INDArray a, INDArray b, INDArray c) {
    int n = Math.toIntExact(a.rows());
    Random rnd = new Random(7);
    for (int t = 0; t < 16; t++) {
      int i = rnd.nextInt(n);
      int j = rnd.nextInt(n);
      double want = 0;
      for (int k = 0; k < n; k++) {
        want += a.getDouble(i, k) * b.getDouble(k, j);
      }
      double got = c.getDouble(i, j);
      if (Math.abs(got - want) > 1e-3 * Math.sqrt(n)) {
        throw new IllegalStateException(
            String.format(Locale.ROOT, "GEMM result wrong at (%d,%d): %g vs %g", i, j, got, want));
      }
    }
  }

  private static int ompThreads() {
    String v = System.getenv("OMP_NUM_THREADS");
    return v == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(v.trim());
  }

  /** BLAS vendor from ND4J and the native libraries really loaded (which jar they came from). */
  private static String blasDescription(Properties env) {
    String vendor = String.valueOf(env.getOrDefault("blas.vendor", "?"));
    return (vendor + " libs=" + String.join(",", nativeLibs())).replace('"', '\'');
  }

  /**
   * {@code jar!/libname} for javacpp's cache ({@code ~/.javacpp/cache/<jar>/...}), else the path.
   */
  private static String shortLibName(String path) {
    int jar = path.lastIndexOf(".jar/");
    if (jar < 0) {
      return path;
    }
    String jarName = path.substring(path.lastIndexOf('/', jar) + 1, jar + 4);
    return jarName + "!" + path.substring(path.lastIndexOf('/'));
  }

  /** File names of the BLAS-like native libraries mapped into this process (Linux only). */
  static List<String> nativeLibs() {
    try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .map(l -> l.trim().split("\\s+"))
          .filter(f -> f.length >= 6)
          .map(f -> f[5])
          .filter(p -> p.matches(".*/lib[^/]*(blas|mkl|dnnl|gomp|iomp|nd4j)[^/]*"))
          .map(GemmBench::shortLibName)
          .distinct()
          .toList();
    } catch (IOException | RuntimeException e) {
      return List.of("?");
    }
  }
}
