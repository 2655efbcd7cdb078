#!/usr/bin/env bash
# Checks that an application jar built with `mvn -Pgpu -DskipTests package` carries ND4J's CUDA
# backend and not the CPU one, and lists the native libraries it bundles.
#
#   deploy/gpu/check-gpu-jar.sh [--archs] [spark-jobs/target/sparknmt-app.jar]
#
# --archs also extracts libnd4jcuda.so (about 900 MB, to a temporary directory) and lists the GPU
# architectures it carries (deploy/gpu/fatbin-archs.py, needs python3).
#
# Fails (exit 1) naming what is wrong: no CUDA backend classes (org/nd4j/linalg/jcublas/), no
# libnd4jcuda/libjnind4jcuda natives, any nd4j-native class or libnd4jcpu native, or a backend
# service file that names another backend than JCublasBackend. Needs only unzip.
set -euo pipefail
archs=0
if [[ "${1:-}" == --archs ]]; then archs=1; shift; fi
jar="${1:-spark-jobs/target/sparknmt-app.jar}"
[[ -f "$jar" ]] || { echo "error: $jar does not exist (build it: mvn -Pgpu -DskipTests package)" >&2; exit 2; }
listing=$(unzip -Z1 "$jar")
failed=0
check() { # check DESCRIPTION COUNT EXPECTATION(present|absent)
  local what=$1 n=$2 want=$3
  if [[ $want == present && $n -gt 0 ]] || [[ $want == absent && $n -eq 0 ]]; then
    printf 'ok    %-58s %6d entries\n' "$what" "$n"
  else
    printf 'FAIL  %-58s %6d entries (expected %s)\n' "$what" "$n" "$want"
    failed=1
  fi
}
count() { grep -c -E "$1" <<<"$listing" || true; }

echo "jar: $jar ($(du -h "$jar" | cut -f1), $(wc -l <<<"$listing") entries)"
check "CUDA backend classes (org/nd4j/linalg/jcublas/)" "$(count '^org/nd4j/linalg/jcublas/.*\.class$')" present
check "CUDA backend org/nd4j/linalg/jcublas/JCublasBackend.class" "$(count '^org/nd4j/linalg/jcublas/JCublasBackend\.class$')" present
check "libnd4jcuda.so (libnd4j built for CUDA)" "$(count '/libnd4jcuda\.so$')" present
check "libjnind4jcuda.so (its JNI bindings)" "$(count '/libjnind4jcuda\.so$')" present
check "CPU backend classes (org/nd4j/linalg/cpu/nativecpu/)" "$(count '^org/nd4j/linalg/cpu/nativecpu/')" absent
check "libnd4jcpu.so / libjnind4jcpu.so (CPU natives)" "$(count 'libj?nind4jcpu\.so$|/libnd4jcpu\.so$')" absent

service=META-INF/services/org.nd4j.linalg.factory.Nd4jBackend
backends=$(unzip -p "$jar" "$service" 2>/dev/null | grep -v -E '^\s*(#|$)' || true)
echo "backend service file ($service): ${backends:-<missing>}"
if [[ "$backends" != "org.nd4j.linalg.jcublas.JCublasBackend" ]]; then
  echo "FAIL  the service file must name org.nd4j.linalg.jcublas.JCublasBackend only"
  failed=1
fi

echo "native libraries in the jar:"
grep -E '\.so(\.[0-9]+)*$' <<<"$listing" | sed 's/^/  /'
if grep -q -E '^org/bytedeco/cuda/.*/libcudart\.so' <<<"$listing"; then
  echo "CUDA runtime libraries are bundled (cuda redist)"
else
  echo "CUDA runtime libraries are NOT bundled: every host needs CUDA 11.6's libcudart.so.11.0," \
    "libcublas.so.11, libcublasLt.so.11 and libcusolver.so.11 on its library path (docs/GPU.md)"
fi
if [[ $archs -eq 1 && $failed -eq 0 ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  lib=$(grep -E '/libnd4jcuda\.so$' <<<"$listing")
  unzip -q -o "$jar" "$lib" -d "$tmp"
  echo "GPU code in $lib:"
  python3 "$(dirname "$0")/fatbin-archs.py" "$tmp/$lib" | sed 's/^/  /'
fi
if [[ $failed -ne 0 ]]; then
  echo "result: FAILED" >&2
  exit 1
fi
echo "result: the jar holds ND4J's CUDA 11.6 backend and not the CPU backend"
