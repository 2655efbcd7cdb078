#!/usr/bin/env bash
# Issue 12: the paper's base model (preset "base": N 6, d_model 512, d_ff 2048, h 8; 48M
# parameters with the 8k joint vocabulary) trained through Spark by parameter averaging, to show
# that it fits in an executor and to record what it needs. On the local standalone cluster
# (WORKERS workers x 1 core, shards and run on its HDFS, jobs submitted with spark-submit): PrepareJob on
# the first PAIRS pairs of the bundled train split (and the first 300 dev pairs) in batches of 32
# pairs, then TrainJob with the base preset for EPOCHS epochs (averaging every 4 updates). The peak resident memory of the executors and of the driver is sampled every second.
# Batches of 32 pairs, not the main command's 64: with 64 one base executor passed 8 GB resident
# (bench/scaling_bench.sh), and two of them beside the driver must fit in this machine's 23 GiB.
# Usage: bench/base_model_run.sh [--workers 1] [--pairs 4000] [--epochs 2] [--executor-memory 3g]
#                                [--max-bytes 8G] [--max-physical-bytes 12G]
# Two workers did not fit on this machine: with a 7 GB cap each, executors passed it in the first
# rounds (2026-12-07), and two 12 GB executors beside the driver exceed its 23 GiB.
# Prints the job's progress and a summary; with 4,000 pairs and 2 epochs it makes ~126 updates per
# worker (~20 min on this machine's 2 cores).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORKERS=1 PAIRS=4000 EPOCHS=2 EXECUTOR_MEMORY=3g MAX_BYTES=8G MAX_PHYSICAL=12G
while [ $# -gt 0 ]; do
  case $1 in
    --workers) WORKERS=$2; shift 2 ;;
    --pairs) PAIRS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --executor-memory) EXECUTOR_MEMORY=$2; shift 2 ;;
    --max-bytes) MAX_BYTES=$2; shift 2 ;;
    --max-physical-bytes) MAX_PHYSICAL=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
ensure_built
WORK=$ROOT/runs/base-model
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
zcat "$DATA/train.en.gz" | sed -n "1,${PAIRS}p" >"$WORK/corpus/train.en"
zcat "$DATA/train.es.gz" | sed -n "1,${PAIRS}p" >"$WORK/corpus/train.es"
zcat "$DATA/dev.en.gz" | sed -n "1,300p" >"$WORK/corpus/dev.en"
zcat "$DATA/dev.es.gz" | sed -n "1,300p" >"$WORK/corpus/dev.es"

export SPARKNMT_CLUSTER_DIR=$WORK/cluster
"$CLUSTER" start --workers "$WORKERS" --worker-cores 1 --worker-memory 4g >&2
trap '"$CLUSTER" stop >&2 || true' EXIT
"$CLUSTER" hdfs -mkdir -p /base >&2
"$CLUSTER" hdfs -put -f "$WORK/corpus" /base/ >&2

DRIVER_OPTS="-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties -Dorg.bytedeco.javacpp.maxbytes=6G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G"
submit() { # MAIN ARGS...
  local main=$1; shift
  "$CLUSTER" submit --driver-memory 4g --conf spark.executor.memory="$EXECUTOR_MEMORY" \
    --conf "spark.driver.extraJavaOptions=$DRIVER_OPTS" --class "$main" \
    --conf "$ROOT/conf/bible.conf" --conf "$ROOT/conf/bible-cluster.conf" \
    --set sparknmt.nd4j.executor-max-bytes="$MAX_BYTES" \
    --set sparknmt.nd4j.executor-max-physical-bytes="$MAX_PHYSICAL" "$@"
}
peak_rss_mb() { # PATTERN: the largest RSS (MB) of one process whose command line matches
  ps -eo rss=,args= | awk -v p="$1" '$0 ~ p && !/awk/ {if ($1 > m) m = $1} END {print int(m / 1024)}'
}

echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') $(nproc --all) cores; $(java -version 2>&1 | head -1); OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE; executors: $WORKERS x 1 core, heap $EXECUTOR_MEMORY, javacpp maxbytes $MAX_BYTES, maxphysicalbytes $MAX_PHYSICAL; build $(git rev-parse --short HEAD)"
t0=$(date +%s)
submit org.sparknmt.jobs.prep.PrepareJob --source /base/corpus/train.en --target /base/corpus/train.es \
  --dev-source /base/corpus/dev.en --dev-target /base/corpus/dev.es --out /base/data \
  --set sparknmt.shard.batch-size-per-worker=32 2>&1 \
  | grep -E 'INFO +PrepareJob|^error' | cut -c1-300 || true
echo "# prepare: $(($(date +%s) - t0)) s"

t1=$(date +%s)
submit org.sparknmt.jobs.TrainJob --shards /base/data/shards --run /base/run --models /base \
  --set 'sparknmt.train.preset="base"' --set sparknmt.train.model.d-model=null \
  --set sparknmt.train.model.heads=null --set sparknmt.train.model.encoder-layers=null \
  --set sparknmt.train.model.decoder-layers=null --set sparknmt.train.model.d-ff=null \
  --set sparknmt.train.model.warmup-steps=4000 --set sparknmt.train.model.lr-scale=1.0 \
  --set sparknmt.train.workers="$WORKERS" --set sparknmt.train.epochs="$EPOCHS" --set sparknmt.train.dev-bleu-sentences=20 \
  --set sparknmt.train.rounds-per-split=3 --set sparknmt.train.checkpoint-every-splits=100 \
  --set sparknmt.train.keep-checkpoints=2 --set sparknmt.train.average-last=1 \
  >"$WORK/train.log" 2>&1 &
train_pid=$!
exec_peak=0 driver_peak=0
while kill -0 "$train_pid" 2>/dev/null; do
  e=$(peak_rss_mb CoarseGrainedExecutorBackend)
  d=$(peak_rss_mb 'SparkSubmit.*TrainJob')
  [ "$e" -gt "$exec_peak" ] && exec_peak=$e
  [ "$d" -gt "$driver_peak" ] && driver_peak=$d
  sleep 1
done
rc=0
wait "$train_pid" || rc=$?
grep -E 'INFO +(TrainPipeline|ParameterAveragingTrainer|ModelStore)|^error|OutOfMemory|Exception' "$WORK/train.log" \
  | cut -c1-400 | tail -60 || true
echo "# train: exit $rc after $(($(date +%s) - t1)) s; peak RSS: executor $exec_peak MB, driver $driver_peak MB"
"$CLUSTER" hdfs -cat /base/run/report/metrics.jsonl 2>/dev/null | tail -n 5 || true
"$CLUSTER" hdfs -du -s -h /base/run /base/models 2>/dev/null || true
