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
#        BASELINE=<dir>  PEER=0 (skip the peer)  MVN_OFFLINE=1 (mvn -o)
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
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
ensure_peer
build_model_classpath
common=(--vocab "$VOCAB" --batch-sentences "$BATCH" --src-len "$LEN" --tgt-len "$LEN"
        --min-len-frac 0.5 --steps "$STEPS" --warmup-steps 3 --n-batches 4 --seed 1)
print_header
for threads in $THREADS; do
  for preset in $PRESETS; do
    preset_dims "$preset"
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
