#!/usr/bin/env bash
# Issue 12 benchmark: the scaling model of parameter averaging. On the local standalone cluster
# (4 workers x 1 core, shards on its HDFS, jobs submitted as a user would), TrainBenchJob times
# parameter-averaging rounds for each model preset (tiny, small, base) and number of executors of
# 1 core (1, 2, 4; spark.cores.max = N), plus the averaging frequency for the small model, and a
# single-JVM baseline per preset. Each run's JSON line gets the peak resident memory of its
# executors and of its driver (sampled every second with ps). This machine has 2 cores: from 4
# executors take the overhead per round, not the efficiency. The base model runs with 1 executor
# by default: training it on the 64-pair batches of conf/bible.conf took an executor past 8 GB
# resident (heap 4g + ND4J off-heap), so two of them and the driver do not fit in 23 GiB.
# Usage: bench/scaling_bench.sh [--presets "tiny small base"] [--workers "1 2 4"]
#                                [--base-workers "1"] [--frequencies "1 4 16"] [--rounds 3]
#                                [--set KEY=VALUE]...   (applied to every Spark run)
# Output: runs/bench/scaling.jsonl (JSON lines, then a summary table per run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PRESETS="tiny small base" WORKERS="1 2 4" BASE_WORKERS="1" FREQUENCIES="1 4 16" ROUNDS=3
SETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --presets) PRESETS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --base-workers) BASE_WORKERS=$2; shift 2 ;;
    --frequencies) FREQUENCIES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
# the base model's single-JVM baseline needs more off-heap than the default
JOB_MAX_BYTES=8G JOB_MAX_PHYSICAL_BYTES=12G
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
WORK=$ROOT/runs/bench
OUT=$WORK/scaling.jsonl
ensure_built
ensure_bench_shards "$WORK"

# the preset's own dimensions (conf/bible.conf shrinks "small" for the 15-minute main command)
preset_sets() {
  echo --set "sparknmt.train.preset=\"$1\"" --set sparknmt.train.model.d-model=null \
    --set sparknmt.train.model.heads=null --set sparknmt.train.model.encoder-layers=null \
    --set sparknmt.train.model.decoder-layers=null --set sparknmt.train.model.d-ff=null
}
# executor heap and ND4J off-heap limits per preset (base: its broadcast of parameters and Adam
# state, 580 MB, arrives on the heap; training it passed 8 GB resident)
executor_memory() { if [ "$1" = base ]; then echo 3g; else echo 1g; fi; }
max_bytes() { if [ "$1" = base ]; then echo "8G 12G"; else echo "2G 4G"; fi; }

# peak RSS (MB) of the JVMs whose command line matches $1, sampled every second until $2 exits
PEAK_FILE=$(mktemp)
trap 'rm -f "$PEAK_FILE"' EXIT
sample_peaks() {
  local pid=$1 exec_peak=0 driver_peak=0 rss
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(ps -eo rss=,args= | awk '/CoarseGrainedExecutorBackend/ && !/awk/ {if ($1 > m) m = $1} END {print m + 0}')
    [ "$rss" -gt "$exec_peak" ] && exec_peak=$rss
    rss=$(ps -eo rss=,args= | awk '/TrainBenchJob/ && !/CoarseGrained|awk|LocalClusterCli/ {if ($1 > m) m = $1} END {print m + 0}')
    [ "$rss" -gt "$driver_peak" ] && driver_peak=$rss
    sleep 1
  done
  echo "$((exec_peak / 1024)) $((driver_peak / 1024))" >"$PEAK_FILE"
}
# runs "$@" in the background, prints its JSON line(s) with the peaks added
with_peaks() {
  local tmp
  tmp=$(mktemp)
  "$@" >"$tmp" 2>"$tmp.err" &
  local pid=$!
  sample_peaks "$pid" &
  local sampler=$!
  if ! wait "$pid"; then
    echo "# FAILED: $* (last lines of its log below)" ; tail -5 "$tmp.err" | sed 's/^/#   /'
  fi
  wait "$sampler"
  read -r exec_mb driver_mb <"$PEAK_FILE"
  grep '^{' "$tmp" | sed "s/}\$/,\"executorPeakRssMB\":$exec_mb,\"driverPeakRssMB\":$driver_mb}/"
  rm -f "$tmp" "$tmp.err"
}

single() { # PRESET: the single-JVM baseline on 4 rounds' worth of batches of one worker
  local batches=$((4 * 4))
  [ "$1" = base ] && batches=8
  # shellcheck disable=SC2046
  job org.sparknmt.jobs.bench.TrainBenchJob --shards "file://$WORK/data/shards" --batches "$batches" \
    --warmup 2 --mode single --set sparknmt.spark.master='"local[1]"' $(preset_sets "$1")
}

export SPARKNMT_CLUSTER_DIR=$WORK/scaling-cluster
"$CLUSTER" status >/dev/null 2>&1 || "$CLUSTER" start --workers 4 --worker-cores 1 --worker-memory 4g >&2
trap '"$CLUSTER" stop >&2 || true; rm -f "$PEAK_FILE"' EXIT
"$CLUSTER" hdfs -mkdir -p /bench >&2
"$CLUSTER" hdfs -test -e /bench/shards/train/index.tsv || "$CLUSTER" hdfs -put -f "$WORK/data/shards" /bench/ >&2

spark_run() { # PRESET WORKERS FREQUENCY: ROUNDS timed rounds (+ one untimed) on N executors
  local preset=$1 n=$2 freq=$3
  local per_round=$((n * freq)) mem limits
  mem=$(executor_memory "$preset")
  read -r -a limits <<<"$(max_bytes "$preset")"
  # shellcheck disable=SC2046
  "$CLUSTER" submit --driver-memory 4g --conf spark.cores.max="$n" --conf spark.executor.cores=1 \
    --conf spark.executor.memory="$mem" \
    --conf "spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G" \
    --class org.sparknmt.jobs.bench.TrainBenchJob --conf "$ROOT/conf/bible.conf" \
    --conf "$ROOT/conf/bible-cluster.conf" --shards /bench/shards --mode spark \
    --batches $((per_round * ROUNDS)) --warmup "$per_round" \
    --set sparknmt.train.workers="$n" --set sparknmt.train.averaging-frequency="$freq" \
    --set sparknmt.nd4j.executor-max-bytes="${limits[0]}" \
    --set sparknmt.nd4j.executor-max-physical-bytes="${limits[1]}" $(preset_sets "$preset") \
    ${SETS[@]+"${SETS[@]}"}
}

{
  echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') $(nproc --all) cores; $(java -version 2>&1 | head -1); OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for preset in $PRESETS; do
    echo "# preset $preset: single JVM"
    with_peaks single "$preset" | sed 's/}$/,"preset":"'"$preset"'"}/'
    workers=$WORKERS
    [ "$preset" = base ] && workers=$BASE_WORKERS
    for n in $workers; do
      echo "# preset $preset: $n executor(s), averaging every 4"
      with_peaks spark_run "$preset" "$n" 4 | sed 's/}$/,"preset":"'"$preset"'"}/'
    done
    if [ "$preset" = small ]; then
      for f in $FREQUENCIES; do
        [ "$f" = 4 ] && continue
        echo "# preset small: 2 executors, averaging every $f"
        with_peaks spark_run small 2 "$f" | sed 's/}$/,"preset":"small"}/'
      done
    fi
  done
  echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
/usr/bin/python3 "$ROOT/bench/scaling_summary.py" "$OUT" | tee -a "$OUT"
