#!/usr/bin/env bash
# Issue 6 benchmark: parameter-averaging efficiency. Training throughput of the README's model
# (conf/bible.conf) on the same shard batches
#   single  one JVM, ComputationGraph.fit, 1 ND4J thread (the baseline)
#   pair    two such JVMs at once, independent (what two workers get from this machine's shared
#           cores, caches and memory bandwidth with no Spark and no averaging at all)
#   local1  Spark local[1], one dl4j-spark worker: the same code path as training, no parallelism
#   local   Spark local[2], two dl4j-spark parameter-averaging workers (1 ND4J thread each)
#   cluster the local standalone cluster (2 workers x 1 core, executors in their own JVMs), shards
#           on its HDFS, the job submitted with spark-submit (only with --cluster)
# interleaved ROUNDS times, as TrainJob trains (org.sparknmt.jobs.bench.TrainBenchJob). Prints the
# JSON lines, then per mode the median tokens/s, the efficiency spark / (2 x single), spark / pair,
# and where the time of a round goes (worker fit, waiting for the slowest worker, averaging overhead).
# Every mode first trains --warmup batches untimed (48: 24 per worker with 2; taken from the end of
# the fixed order, so the timed batches do not depend on it): after the 4 of earlier versions the
# JIT was still compiling the training step, and every mode measured 15-25 % below its steady state
# (docs/BENCHMARKS.md).
# The averaging is conf/bible.conf's (all-reduce between the workers since session 12; through the
# driver before): --set sparknmt.train.averaging=driver for the other.
# Usage: bench/train_spark_bench.sh [--cluster] [--batches 48] [--warmup 48] [--rounds 2] [--set KEY=VALUE]...
#   --set applies to every run, e.g. --set sparknmt.train.averaging-frequency=8
# Shards: made once under runs/bench (PrepareJob, conf/bible.conf) when missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CLUSTER_TOO=no BATCHES=48 WARMUP=48 ROUNDS=2
SETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --cluster) CLUSTER_TOO=yes; shift ;;
    --batches) BATCHES=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
WORK=$ROOT/runs/bench
OUT=$WORK/train-bench.jsonl
ensure_built
ensure_bench_shards "$WORK"
SHARDS=file://$WORK/data/shards
bench() { job org.sparknmt.jobs.bench.TrainBenchJob --shards "$SHARDS" --batches "$BATCHES" --warmup "$WARMUP" "${SETS[@]}" "$@" 2>/dev/null | grep '^{'; }

if [ "$CLUSTER_TOO" = yes ]; then bench_cluster_up "$WORK"; fi
cluster_bench() { cluster_train_bench --batches "$BATCHES" --warmup "$WARMUP" "${SETS[@]}"; }

{
  echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') $(nproc --all) cores; $(java -version 2>&1 | head -1); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for _ in $(seq 1 "$ROUNDS"); do
    bench --mode single --set sparknmt.spark.master='"local[1]"'
    bench --mode single --set sparknmt.spark.master='"local[1]"' | sed 's/^{/{"concurrent":2,/' &
    bench --mode single --set sparknmt.spark.master='"local[1]"' | sed 's/^{/{"concurrent":2,/'
    wait
    bench --mode spark --set sparknmt.spark.master='"local[1]"' --set sparknmt.train.workers=1
    bench --mode spark --set sparknmt.spark.master='"local[2]"' --set sparknmt.train.workers=2
    if [ "$CLUSTER_TOO" = yes ]; then cluster_bench; fi
  done
  echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
def median(xs): xs = sorted(xs); return xs[len(xs) // 2]
single = median([r['tokensPerSec'] for r in rows if r['mode'] == 'single' and 'concurrent' not in r])
pair = [r['tokensPerSec'] for r in rows if r['mode'] == 'single' and 'concurrent' in r]
pair = 2 * median(pair) if pair else None
one = [r['tokensPerSec'] for r in rows if r['mode'] == 'spark' and r['workers'] == 1]
one = median(one) if one else None
print(f"single JVM: median {single:.0f} target tokens/s" + (f"; Spark local[1], 1 worker: {one:.0f}" if one else "")
      + (f"; two single JVMs at once: {pair:.0f} together ({pair / (2 * single):.2f} of twice one alone)" if pair else ""))
for kind, pick in (('Spark local[2]', lambda m: m.startswith('local')), ('standalone cluster', lambda m: m.startswith('spark://'))):
    rs = [r for r in rows if r['mode'] == 'spark' and r['workers'] > 1 and pick(r['master'])]
    if not rs:
        continue
    r = sorted(rs, key=lambda r: r['tokensPerSec'])[len(rs) // 2]
    w, n = r['workers'], r['rounds']
    vs_one = f", vs 1 Spark worker {r['tokensPerSec'] / (w * one):.2f}" if one else ""
    vs_one += f", vs two single JVMs at once {r['tokensPerSec'] / pair:.2f}" if pair and w == 2 else ""
    print(f"{kind}, {w} workers: median {r['tokensPerSec']:.0f} tokens/s; efficiency vs single JVM {r['tokensPerSec'] / (w * single):.2f}{vs_one}; "
          f"workers train {r['workerFitSeconds'] / r['seconds']:.0%} of the time. Per round ({r['averagingFrequency']} batches per worker, {r['seconds'] / n:.2f} s): "
          f"worker fit {r['workerFitSeconds'] / n:.2f} s, waiting for the slowest worker {r['stragglerSeconds'] / n:.2f} s, averaging overhead {r['averagingSecondsPerRound']:.2f} s "
          f"(broadcast {r['broadcastSecondsPerRound']:.3f} s, count {r['countSecondsPerRound']:.3f} s, building the worker's model {r['workerInitSecondsPerRound']:.3f} s, driver update {r['driverUpdateSecondsPerRound']:.3f} s)")
PY
