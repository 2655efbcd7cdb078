#!/bin/bash
# Shared set-up of the single-JVM model benchmarks (train_throughput.sh, decode_throughput.sh);
# sourced, not run. Expects ROOT, PEER, WAIT_POLICY and THREADS; defines:
#   ensure_peer          installs Debian's python3-torch + libopenblas0-openmp when PEER=1 and
#                        either is missing (as root), else explains and exits 2
#   build_model_classpath  compiles the model module's tests (reactor only, no mvn install) and
#                        sets CP[sparknmt-dl4j] (and CP[baseline] with IMPLS when BASELINE is set)
#   omp_env N            "OMP_NUM_THREADS=N OMP_WAIT_POLICY=..." for env
#   VECTOR_API           the module option of the Vector API kernels ("" = ND4J fallback)
#   print_header         one comment line: date, threads, wait policy, cores, CPU, load
#   preset_dims NAME     sets D, H, L, FF of the model preset (tiny, small) for the peers

# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU

ensure_peer() {
  if [ "$PEER" = 1 ] && { ! /usr/bin/python3 -c 'import torch' 2>/dev/null \
      || [ ! -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "# installing python3-torch libopenblas0-openmp" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        python3-torch libopenblas0-openmp >/dev/null
    else
      echo "need Debian packages python3-torch libopenblas0-openmp (run as root), or PEER=0" >&2
      exit 2
    fi
  fi
}

declare -A CP
IMPLS=(sparknmt-dl4j)
build_model_classpath() {
  local mvn=(mvn -B -q -ntp)
  if [ "${MVN_OFFLINE:-0}" = 1 ]; then mvn+=(-o); fi
  "${mvn[@]}" -pl model test-compile -Dspotless.check.skip=true >&2
  local cpfile
  cpfile=$(mktemp)
  "${mvn[@]}" -pl model dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$cpfile" >&2
  local deps
  deps=$(cat "$cpfile")
  rm -f "$cpfile"
  CP[sparknmt-dl4j]="model/target/test-classes:model/target/classes:$deps"
  if [ -n "${BASELINE:-}" ]; then
    # the bench class is this tree's; the model classes are the baseline's (listed first)
    CP[baseline]="$BASELINE/classes:model/target/test-classes:$deps"
    IMPLS=(baseline sparknmt-dl4j)
  fi
}

# the model's Vector API kernels (RowKernels) need this module, as in every JVM the project starts
# (the build's Java options); VECTOR_API="" measures the ND4J fallback
VECTOR_API=${VECTOR_API---add-modules=jdk.incubator.vector}

omp_env() {
  if [ "$WAIT_POLICY" = unset ]; then echo "OMP_NUM_THREADS=$1"
  else echo "OMP_NUM_THREADS=$1 OMP_WAIT_POLICY=$WAIT_POLICY"; fi
}

print_header() {
  echo "# $(date -u +%FT%TZ) threads=[$THREADS] wait_policy=$WAIT_POLICY reps=$REPS $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"
}

preset_dims() {
  case $1 in
    tiny) D=64; H=4; L=2; FF=256 ;;
    small) D=256; H=4; L=3; FF=1024 ;;
    *) echo "unknown preset $1" >&2; exit 2 ;;
  esac
}
