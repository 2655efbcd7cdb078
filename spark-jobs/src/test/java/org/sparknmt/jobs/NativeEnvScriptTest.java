package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/native-env.sh}: the OpenBLAS kernels it names for a CPU's flags (never one the CPU
 * lacks), and a value already in the environment wins.
 */
class NativeEnvScriptTest {
  private static final Path SCRIPT = Path.of("..", "deploy", "native-env.sh");

  @TempDir Path tmp;

  @Test
  void namesTheKernelsTheCpuFlagsAllow() throws Exception {
    // the session-11 Xeon's flags (abridged): OpenBLAS 0.3.19 alone picked Prescott there
    assertEquals(
        "SkylakeX",
        coreTypeFor("fpu sse sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl amx_tile"));
    // AVX-512 F without BW/DQ/VL (Knights Landing) is not SkylakeX
    assertEquals("Haswell", coreTypeFor("sse sse2 avx avx2 fma avx512f avx512cd"));
    assertEquals("Haswell", coreTypeFor("sse sse2 avx avx2 fma"));
    assertEquals("", coreTypeFor("sse sse2 avx")); // left to OpenBLAS
    assertEquals("", coreTypeFor("sse sse2 avx2")); // AVX2 without FMA
    // a flag that only starts like one that counts
    assertEquals("", coreTypeFor("sse avx2x fmax"));
  }

  @Test
  void aValueAlreadySetWinsAndNothingIsExportedWhenNoneFits() throws Exception {
    assertEquals(
        "Haswell", run("OPENBLAS_CORETYPE=Haswell; source \"$1\"; echo $OPENBLAS_CORETYPE"));
    // on this machine: whatever its flags give, and the variable is exported only if non-empty
    String exported =
        run("unset OPENBLAS_CORETYPE; source \"$1\"; printenv OPENBLAS_CORETYPE || true");
    String chosen = run("source \"$1\"; sparknmt_openblas_coretype");
    assertEquals(chosen, exported);
  }

  /**
   * Every script that starts a JVM on the application's class path chooses the kernels first
   * (itself or through the benchmarks' shared set-up); {@code bench/gemm_bench.sh} compares core
   * types and sets them per variant.
   */
  @Test
  void everyScriptThatStartsTheApplicationSourcesIt() throws IOException {
    List<String> missing = new ArrayList<>();
    for (String dir : new String[] {"deploy", "bench"}) {
      try (Stream<Path> scripts = Files.list(Path.of("..", dir))) {
        for (Path script : scripts.filter(p -> p.toString().endsWith(".sh")).sorted().toList()) {
          String text = Files.readString(script);
          boolean startsTheApplication =
              text.contains("APP_JAR") || text.contains("sparknmt-app.jar");
          boolean choosesKernels =
              text.contains("deploy/native-env.sh")
                  || text.contains("bench/spark_lib.sh")
                  || text.contains("bench/lib.sh");
          if (startsTheApplication
              && !choosesKernels
              && !script.getFileName().toString().equals("gemm_bench.sh")) {
            missing.add(script.toString());
          }
        }
      }
    }
    assertEquals(List.of(), missing);
  }

  private String coreTypeFor(String flags) throws Exception {
    Path cpuinfo = tmp.resolve("cpuinfo");
    Files.writeString(
        cpuinfo,
        "processor\t: 0\nmodel name\t: test\nflags\t\t: " + flags + "\n\nprocessor\t: 1\n");
    return run("source \"$1\"; sparknmt_openblas_coretype " + cpuinfo);
  }

  /** Runs {@code script} in bash with $1 = the script's path; its stdout, trimmed. */
  private static String run(String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("bash", "-c", "set -euo pipefail; " + script, "bash", SCRIPT.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.waitFor(), script);
    return out;
  }
}
