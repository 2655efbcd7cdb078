#!/bin/bash
# Single-JVM training throughput (non-pad target tokens/s) of the DL4J Transformer
# (org.sparknmt.model.bench.TrainThroughputBench) and of the PyTorch peer
# (bench/peers/torch_transformer_train.py via torch_peer.sh) with the same configuration, alternated
# in one run so that both see the same machine load. Optionally also a baseline build of the model
# module (BASELINE=<dir with classes/>: this tree's bench class runs against those model classes), so
# before/after is measured in one run.
# Prints one JSON line per measurement, each with its thread count and OpenMP wait policy.
#
# Usage: bench/train_throughput.sh
#   env: THREADS="1 2"  WAIT_POLICY=PASSIVE (OMP_WAIT_POLICY for both; "unset" leaves it unset)
#        REPS=2 STEPS=20 PRESETS="tiny small" VOCAB=8000 BATCH=32 LEN=32 PROFILE=1
#        BASELINE=<dir>  PEER=0 (skip the peer)
# Needs Java 17, Maven and Debian's python3-torch + libopenblas0-openmp (installed when missing and
# running as root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$ROOT/bench/peers
THREADS=${THREADS:-"1 2"}
WAIT_POLICY=${WAIT_POLICY:-PASSIVE}
REPS=${REPS:-2}
STEPS=${STEPS:-20}
PRESETS=${PRESETS:-"tiny small"}
VOCAB=${VOCAB:-8000}
BATCH=${BATCH:-32}
LEN=${LEN:-32}
PEER=${PEER:-1}
cd "$ROOT"
if [ "$PEER" = 1 ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "# installing python3-torch libopenblas0-openmp" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      python3-torch libopenblas0-openmp >/dev/null
  else
    echo "need Debian packages python3-torch libopenblas0-openmp (run as root), or PEER=0" >&2
    exit 2
  fi
fi
mvn -B -q -ntp -pl model test-compile -Dspotless.check.skip=true >&2
CPFILE=$(mktemp)
trap 'rm -f "$CPFILE"' EXIT
mvn -B -q -ntp -pl model dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CPFILE" >&2
DEPS=$(cat "$CPFILE")
declare -A CP=([sparknmt-dl4j]="model/target/test-classes:model/target/classes:$DEPS")
IMPLS=(sparknmt-dl4j)
if [ -n "${BASELINE:-}" ]; then
  CP[baseline]="$BASELINE/classes:model/target/test-classes:$DEPS"
  IMPLS=(baseline sparknmt-dl4j)
fi
common=(--vocab "$VOCAB" --batch-sentences "$BATCH" --src-len "$LEN" --tgt-len "$LEN"
        --min-len-frac 0.5 --steps "$STEPS" --warmup-steps 3 --n-batches 4 --seed 1)
# the model's Vector API kernels (RowKernels) need this module, as in every JVM the project starts
# (the build's Java options); VECTOR_API="" measures the ND4J fallback
VECTOR_API=${VECTOR_API---add-modules=jdk.incubator.vector}
omp_env() {
  if [ "$WAIT_POLICY" = unset ]; then echo "OMP_NUM_THREADS=$1"
  else echo "OMP_NUM_THREADS=$1 OMP_WAIT_POLICY=$WAIT_POLICY"; fi
}
echo "# $(date -u +%FT%TZ) threads=[$THREADS] wait_policy=$WAIT_POLICY reps=$REPS $(nproc) cores," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in $THREADS; do
  for preset in $PRESETS; do
    case $preset in
      tiny) D=64; H=4; L=2; FF=256 ;;
      small) D=256; H=4; L=3; FF=1024 ;;
      *) echo "unknown preset $preset" >&2; exit 2 ;;
    esac
    for rep in $(seq "$REPS"); do
      for impl in "${IMPLS[@]}"; do
        prof=()
        if [ "${PROFILE:-0}" = 1 ] && [ "$rep" = "$REPS" ]; then prof=(--profile); fi
        env $(omp_env "$threads") java -Xmx4g $VECTOR_API -cp "${CP[$impl]}" \
          org.sparknmt.model.bench.TrainThroughputBench --preset "$preset" "${common[@]}" \
          "${prof[@]}" 2>/dev/null | grep -E '^(\{|profile|  )' \
          | sed "s/\"impl\": \"sparknmt-dl4j\"/\"impl\": \"$impl\"/; s/^{/{\"wait_policy\": \"$WAIT_POLICY\", /"
      done
      if [ "$PEER" = 1 ]; then
        env $(omp_env "$threads") "$PEERS/torch_peer.sh" torch_transformer_train.py --d-model $D \
          --heads $H --layers $L --ff $FF --dropout 0.1 --label-smoothing 0.1 --tie all \
          --threads "$threads" --label "$preset" "${common[@]}" 2>/dev/null | tail -1 \
          | sed "s/^{/{\"wait_policy\": \"$WAIT_POLICY\", \"omp_threads\": \"$threads\", /"
      fi
    done
  done
done
