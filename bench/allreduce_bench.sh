#!/usr/bin/env bash
# Issue 12: parameter averaging through the driver (one dl4j-spark job per round: broadcast,
# treeAggregate) against a ring all-reduce between the workers (one Spark barrier stage per split;
# sparknmt.train.averaging = driver | allreduce), with the main command's model and settings
# (conf/bible.conf: 2 workers, averaging every 4 updates, 5 rounds per split, Adam's moments
# averaged at checkpoints), in Spark local[2] and on the local standalone cluster (2 workers x 1
# core, shards on its HDFS), alternated ROUNDS times, with one single-JVM run per round as the
# efficiency baseline. Every run times the same 80 batches (2 splits of 5 rounds) after 40 untimed
# ones (1 split). Prints TrainBenchJob's JSON lines, then per setting the median tokens/s, the
# efficiency against one JVM alone and where a round's time goes; docs/BENCHMARKS.md has the table.
# Usage: bench/allreduce_bench.sh [ROUNDS, default 3]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${1:-3}
BATCHES=80 WARMUP=40
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
ensure_built
WORK=$ROOT/runs/bench
OUT=$WORK/allreduce-bench.jsonl
ensure_bench_shards "$WORK"
SHARDS=file://$WORK/data/shards
bench_cluster_up "$WORK"
local_bench() { job org.sparknmt.jobs.bench.TrainBenchJob --shards "$SHARDS" --batches $BATCHES --warmup $WARMUP "$@" 2>/dev/null | grep '^{'; }
{
  echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') $(nproc --all) cores; OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; build $(git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
  for _ in $(seq 1 "$ROUNDS"); do
    local_bench --mode single --set sparknmt.spark.master='"local[1]"'
    for averaging in driver allreduce; do
      local_bench --mode spark --set sparknmt.spark.master='"local[2]"' --set sparknmt.train.workers=2 --set sparknmt.train.averaging=$averaging
      cluster_train_bench --batches $BATCHES --warmup $WARMUP --set sparknmt.train.averaging=$averaging
    done
  done
  echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
def median(xs): xs = sorted(xs); return xs[len(xs) // 2]
single = median([r['tokensPerSec'] for r in rows if r['mode'] == 'single'])
print(f"single JVM: median {single:.0f} target tokens/s")
for kind, pick in (('Spark local[2]', lambda m: m.startswith('local')), ('standalone cluster', lambda m: m.startswith('spark://'))):
    for averaging in ('driver', 'allreduce'):
        rs = [r for r in rows if r['mode'] == 'spark' and r.get('averaging') == averaging and pick(r['master'])]
        if not rs:
            continue
        r = sorted(rs, key=lambda r: r['tokensPerSec'])[len(rs) // 2]
        n = r['rounds']
        speeds = ', '.join('%.0f' % x['tokensPerSec'] for x in rs)
        print(f"{kind}, averaging by {averaging}: tokens/s {speeds} (median {r['tokensPerSec']:.0f}), "
              f"efficiency vs one JVM alone {r['tokensPerSec'] / (r['workers'] * single):.2f}; median run per round ({n} rounds): "
              f"worker fit {r['workerFitSeconds'] / n:.2f} s, waiting for the slowest worker {r['stragglerSeconds'] / n:.2f} s, "
              f"averaging overhead {r['averagingSecondsPerRound']:.3f} s" + (f" (all-reduce of the last to arrive {r['transferSecondsPerRound']:.3f} s; per split, spread over its rounds: launch {r['launchSecondsPerRound']:.3f}, ring set-up {r['joinSecondsPerRound']:.3f}, result {r['resultSecondsPerRound']:.3f}, driver update {r['driverUpdateSecondsPerRound']:.3f} s)" if 'transferSecondsPerRound' in r else ""))
PY
