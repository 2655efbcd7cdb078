#!/usr/bin/env bash
# Issue 12: what averaging Adam's moments only at checkpoints saves per averaging round
# (sparknmt.train.optimizer-state-averaging = every-round | at-checkpoints), with the main command's
# model (conf/bible.conf), in Spark local[2] and on the local standalone cluster (2 workers x 1 core),
# alternated ROUNDS times, with one single-JVM run per round as the efficiency baseline. In the
# at-checkpoints runs the warm-up's first round sends the moments and every timed round moves the
# parameters only (as 234 of the main command's 265 rounds do). Prints TrainBenchJob's JSON lines,
# each tagged with "state"; docs/BENCHMARKS.md has the table.
# Averaging through the driver (sparknmt.train.averaging = driver), as when it was measured; the
# all-reduce is compared by bench/allreduce_bench.sh.
# Usage: bench/optimizer_state_bench.sh [ROUNDS, default 3]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${1:-3}
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
ensure_built
WORK=$ROOT/runs/bench
ensure_bench_shards "$WORK"
SHARDS=file://$WORK/data/shards
bench_cluster_up "$WORK"
tag() { sed "s/^{/{\"state\":\"$1\",/"; }
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') $(nproc --all) cores; OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; build $(git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$ROUNDS"); do
  job org.sparknmt.jobs.bench.TrainBenchJob --shards "$SHARDS" --batches 48 --warmup 48 --mode single --set sparknmt.spark.master='"local[1]"' 2>/dev/null | grep '^{' | tag -
  for st in every-round at-checkpoints; do
    job org.sparknmt.jobs.bench.TrainBenchJob --shards "$SHARDS" --batches 48 --warmup 48 --mode spark --set sparknmt.spark.master='"local[2]"' --set sparknmt.train.workers=2 --set sparknmt.train.averaging=driver --set sparknmt.train.optimizer-state-averaging=$st 2>/dev/null | grep '^{' | tag $st
    cluster_train_bench --batches 48 --warmup 48 --set sparknmt.train.averaging=driver --set sparknmt.train.optimizer-state-averaging=$st | tag $st
  done
done
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
