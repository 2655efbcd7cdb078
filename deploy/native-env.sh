#!/usr/bin/env bash
# Sourced (not run) by every script that starts a JVM with ND4J, before it starts one: exports
# OPENBLAS_CORETYPE for this machine's CPU unless it is set already.
#
# ND4J 1.0.0-M2.1 bundles OpenBLAS 0.3.19, which picks its matrix-product kernels from the CPU's
# family and model number at load time, and falls back to its SSE3 ("Prescott") kernels on CPUs
# newer than it: on an Intel Xeon of family 6 model 207 (Emerald Rapids, AVX-512) it did, and the
# README's model trained 2.6x slower (docs/BENCHMARKS.md, "OpenBLAS kernels on CPUs newer than
# the bundled OpenBLAS"). OPENBLAS_CORETYPE names the kernels instead; it is read once, when the
# library loads, so it has to be in the JVM's environment. Chosen from the CPU's flags, never beyond
# them (a core type whose instructions the CPU lacks would crash the JVM):
#   AVX-512 F, BW, DQ and VL -> SkylakeX    (its sgemm is what 0.3.19 uses on Cooper Lake and Zen 4)
#   AVX2 and FMA             -> Haswell
#   otherwise                -> unset (OpenBLAS decides)
# Executors of the local cluster inherit it from the workers; on another cluster set it in the
# executors' environment (spark.executorEnv.OPENBLAS_CORETYPE, or spark-env.sh on each node).
sparknmt_openblas_coretype() { # [CPUINFO, default /proc/cpuinfo]
  local flags
  flags=" $(grep -m1 '^flags' "${1:-/proc/cpuinfo}" 2>/dev/null | cut -d: -f2) "
  if [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512dq "* && $flags == *" avx512vl "* ]]; then
    echo SkylakeX
  elif [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then
    echo Haswell
  fi
}

if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  OPENBLAS_CORETYPE=$(sparknmt_openblas_coretype)
  if [ -n "$OPENBLAS_CORETYPE" ]; then export OPENBLAS_CORETYPE; else unset OPENBLAS_CORETYPE; fi
fi
