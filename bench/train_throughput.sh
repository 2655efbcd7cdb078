#!/bin/bash
# Issue 5 benchmark: single-JVM training throughput (non-pad target tokens/s) of the DL4J
# Transformer (org.sparknmt.model.bench.TrainThroughputBench) and of the PyTorch peer
# (../shared/peers/torch_transformer_train.py via torch_peer.sh) with the same configuration,
# alternated in one run so that both see the same machine load. Prints the JSON lines of both.
#
# Usage: bench/train_throughput.sh            (env: THREADS=1 REPS=2 STEPS=20 PRESETS="tiny small"
#                                              VOCAB=8000 BATCH=32 LEN=32 PROFILE=1 PEERS=<dir>)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/peers}
THREADS=${THREADS:-1}
REPS=${REPS:-2}
STEPS=${STEPS:-20}
PRESETS=${PRESETS:-"tiny small"}
VOCAB=${VOCAB:-8000}
BATCH=${BATCH:-32}
LEN=${LEN:-32}
cd "$ROOT"
mvn -B -q -o -pl model test-compile
CPFILE=$(mktemp)
trap 'rm -f "$CPFILE"' EXIT
mvn -B -q -o -pl model dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CPFILE"
CP=model/target/test-classes:model/target/classes:$(cat "$CPFILE")
common=(--vocab "$VOCAB" --batch-sentences "$BATCH" --src-len "$LEN" --tgt-len "$LEN"
        --min-len-frac 0.5 --steps "$STEPS" --warmup-steps 3 --n-batches 4 --seed 1)
echo "# $(date -u +%FT%TZ) threads=$THREADS reps=$REPS $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for preset in $PRESETS; do
  case $preset in
    tiny) D=64; H=4; L=2; FF=256 ;;
    small) D=256; H=4; L=3; FF=1024 ;;
    *) echo "unknown preset $preset" >&2; exit 2 ;;
  esac
  for rep in $(seq "$REPS"); do
    prof=()
    if [ "${PROFILE:-0}" = 1 ] && [ "$rep" = "$REPS" ]; then prof=(--profile); fi
    OMP_NUM_THREADS=$THREADS java -Xmx4g -cp "$CP" org.sparknmt.model.bench.TrainThroughputBench \
      --preset "$preset" "${common[@]}" "${prof[@]}" 2>/dev/null | grep -E '^(\{|profile|  )'
    OMP_NUM_THREADS=$THREADS "$PEERS/torch_peer.sh" torch_transformer_train.py --d-model $D \
      --heads $H --layers $L --ff $FF --dropout 0.1 --label-smoothing 0.1 --tie all \
      --threads "$THREADS" --label "$preset" "${common[@]}" 2>/dev/null | tail -1
  done
done
