#!/bin/bash
# Single-JVM beam-search decoding throughput of the DL4J Translator
# (org.sparknmt.model.bench.DecodeThroughputBench) and of a cached incremental PyTorch decoder
# (bench/peers/torch_transformer_decode.py via torch_peer.sh) on the same architecture, random
# weights, the same batch shape and a FIXED output length (no early stop on </s>), alternated in one
# run so that all see the same machine load. Optionally also a baseline build of the model module
# (BASELINE=<dir with classes/>: the bench class of this tree runs against those model classes), so
# before/after/peer is measured in one run. Prints one JSON line per measurement, each with its
# thread count and OpenMP wait policy. Builds with reactor flags only (no mvn install).
#
# Usage: bench/decode_throughput.sh
#   env: THREADS="1 2"  WAIT_POLICY=PASSIVE (OMP_WAIT_POLICY for all; "unset" leaves it unset)
#        REPS=3 PRESETS="tiny small" VOCAB=8000 BATCH=32 SRC_LEN=24 STEPS=30 BEAM=4
#        BASELINE=<dir>  PEER=0 (skip the peer)  MVN_OFFLINE=1 (mvn -o)
# Needs Java 17, Maven and Debian's python3-torch + libopenblas0-openmp (installed when missing and
# running as root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$ROOT/bench/peers
THREADS=${THREADS:-"1 2"}
WAIT_POLICY=${WAIT_POLICY:-PASSIVE}
REPS=${REPS:-3}
PRESETS=${PRESETS:-"tiny small"}
VOCAB=${VOCAB:-8000}
BATCH=${BATCH:-32}
SRC_LEN=${SRC_LEN:-24}
STEPS=${STEPS:-30}
BEAM=${BEAM:-4}
PEER=${PEER:-1}
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
ensure_peer
build_model_classpath
common=(--vocab "$VOCAB" --batch "$BATCH" --src-len "$SRC_LEN" --steps "$STEPS" --beam "$BEAM"
        --reps "$REPS" --warmup 1 --seed 1)
print_header
for threads in $THREADS; do
  for preset in $PRESETS; do
    preset_dims "$preset"
    for impl in "${IMPLS[@]}"; do
      env $(omp_env "$threads") java -Xmx2g $VECTOR_API -cp "${CP[$impl]}" \
        org.sparknmt.model.bench.DecodeThroughputBench --preset "$preset" "${common[@]}" \
        2>/dev/null | grep -E '^\{' \
        | sed "s/\"impl\": \"sparknmt-dl4j\"/\"impl\": \"$impl\"/; s/^{/{\"wait_policy\": \"$WAIT_POLICY\", /"
    done
    if [ "$PEER" = 1 ]; then
      env $(omp_env "$threads") "$PEERS/torch_peer.sh" torch_transformer_decode.py --d-model $D \
        --heads $H --layers $L --ff $FF --threads "$threads" --label "$preset" "${common[@]}" \
        2>/dev/null | tail -1 \
        | sed "s/^{/{\"wait_policy\": \"$WAIT_POLICY\", \"omp_threads\": \"$threads\", /"
    fi
  done
  echo "# load after threads=$threads: $(cut -d' ' -f1-3 /proc/loadavg)"
done
