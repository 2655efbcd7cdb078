#!/usr/bin/env bash
# Issue 14 drill: a longer run than the integration tests make, on the local standalone cluster +
# HDFS, with faults injected while it trains, and its outcome recorded. The main command's
# pipeline (PipelineJob, conf/bible.conf, the whole bundled corpus, EPOCHS epochs) is submitted
# with spark-submit as deploy/run-pipeline.sh --cluster does; a watcher injects, in order:
#   1. kill -9 of one executor JVM once training has started        (the split starts over: conf/bible.conf
#                                                                    averages by all-reduce; with the driver
#                                                                    averaging, the round's task is retried)
#   2. the DataNode stopped for 30 s after the first checkpoint       (rides it out, or exit 2)
#   3. kill -9 of the driver after the next checkpoint                (the attempt dies)
# and the same command is run again after each failed attempt (up to 5 attempts), as an operator or
# a scheduler would. At the end it checks, from the run's batch log (report/metrics.jsonl), that
# every epoch trained each batch position exactly once (no gap, no overlap across attempts), and
# prints the model bundle and the test scores.
# Usage: bench/fault_drill.sh [--epochs 3]     (about 20 min on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
EPOCHS=3
while [ $# -gt 0 ]; do
  case $1 in
    --epochs) EPOCHS=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
ensure_built
WORK=$ROOT/runs/fault-drill
rm -rf "$WORK"
mkdir -p "$WORK"
export SPARKNMT_CLUSTER_DIR=$WORK/cluster
"$CLUSTER" start --workers 2 --worker-cores 1 --worker-memory 3g >&2
trap '"$CLUSTER" stop >&2 || true' EXIT
"$CLUSTER" hdfs -mkdir -p /drill/data >&2
"$CLUSTER" hdfs -put -f "$DATA"/*.gz /drill/data/ >&2
RUN=/drill/work/run

attempt() { # N: one run of the pipeline command; its output in $WORK/attempt-N.log
  "$CLUSTER" submit --driver-memory 3g \
    --conf "spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G" \
    --class org.sparknmt.jobs.PipelineJob --conf "$ROOT/conf/bible.conf" --conf "$ROOT/conf/bible-cluster.conf" \
    --source /drill/data/train.en.gz --target /drill/data/train.es.gz \
    --dev-source /drill/data/dev.en.gz --dev-target /drill/data/dev.es.gz \
    --test-source /drill/data/test.en.gz --test-target /drill/data/test.es.gz \
    --work /drill/work --set sparknmt.train.epochs="$EPOCHS" >"$WORK/attempt-$1.log" 2>&1
}
log() { echo "$(date -u +%T) $*"; }
# checkpoints the running attempt has written (from its log: no JVM started per poll)
checkpoints() { grep -c 'checkpoint ckpt-[0-9]* written' "$WORK/attempt-$N.log" || true; }
await() { # SECONDS CONDITION...: polls CONDITION every 2 s; false if the attempt ended first
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    "$@" && return 0
    kill -0 "$ATTEMPT_PID" 2>/dev/null || return 1
    sleep 2
  done
  return 1
}
training_started() { grep -q 'ParameterAveragingTrainer: epoch' "$WORK/attempt-$N.log"; }
more_checkpoints_than() { [ "$(checkpoints)" -gt "$1" ]; }

# only this drill's JVMs: their class path starts with this cluster's configuration directory
# (a bare "SparkSubmit.*PipelineJob" also matched other jobs on the machine: a test's driver died)
OWN=$WORK/cluster/conf/spark
FAULTS=(executor datanode driver)
inject() { # the next fault, when its moment comes in the running attempt
  case ${FAULTS[0]:-none} in
    executor)
      await 900 training_started || return 0
      sleep 20
      local pid
      pid=$(pgrep -f "$OWN.*CoarseGrainedExecutorBackend" | sed -n 1p)
      FAULTS=("${FAULTS[@]:1}")
      log "fault: kill -9 executor JVM $pid"
      kill -9 "$pid"
      inject ;;
    datanode)
      await 1800 more_checkpoints_than 0 || return 0
      FAULTS=("${FAULTS[@]:1}")
      log "fault: DataNode stopped for 30 s"
      "$CLUSTER" restart-datanode --down-seconds 30 2>&1 | sed 's/^/    /' \
        || log "the DataNode did not come back (see the cluster's logs)"
      inject ;;
    driver)
      local before
      before=$(checkpoints)
      await 1800 more_checkpoints_than "$before" || return 0
      FAULTS=("${FAULTS[@]:1}")
      log "fault: kill -9 the driver ($(pgrep -f "$OWN.*SparkSubmit.*PipelineJob" | sed -n 1p))"
      pkill -9 -f "$OWN.*SparkSubmit.*PipelineJob" || true ;;
  esac
}

echo "# $(date -u +%FT%TZ) fault drill: PipelineJob, conf/bible.conf, $EPOCHS epochs, standalone cluster 2 x 1 core + HDFS; $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; $(java -version 2>&1 | head -1); OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE; build $(git rev-parse --short HEAD)"
T0=$SECONDS
rc=1
for N in 1 2 3 4 5; do
  log "attempt $N starts"
  attempt "$N" &
  ATTEMPT_PID=$!
  inject
  rc=0
  wait "$ATTEMPT_PID" || rc=$?
  log "attempt $N: exit $rc after $((SECONDS - T0)) s in all; $(grep -m1 '^error' "$WORK/attempt-$N.log" | cut -c1-300)"
  grep -E 'Lost executor|Starting task [0-9.]+\.1 |prepare: step .* done earlier|resum|took over|new run' \
    "$WORK/attempt-$N.log" | sed 's/^/    /' | cut -c1-250 | head -8 || true
  [ "$rc" = 0 ] && break
done
log "faults not injected (the run ended first): ${FAULTS[*]:-none}"

echo "# batch log ($RUN/report/metrics.jsonl): batch positions trained per epoch"
"$CLUSTER" hdfs -cat "$RUN/report/metrics.jsonl" >"$WORK/metrics.jsonl"
/usr/bin/python3 - "$WORK/metrics.jsonl" <<'PY'
import json, sys
from collections import defaultdict
spans = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "batchesSha256" in r:
        spans[r["epoch"]].append((r["batchFrom"], r["batches"]))
ok = True
for epoch in sorted(spans):
    s = sorted(spans[epoch])
    pos, gaps, overlaps = 0, [], []
    for start, n in s:
        if start > pos: gaps.append((pos, start))
        if start < pos: overlaps.append((start, pos))
        pos = max(pos, start + n)
    ok &= not gaps and not overlaps
    print(f"epoch {epoch}: {len(s)} splits, positions 0..{pos - 1}, gaps {gaps or 'none'}, "
          f"overlaps {overlaps or 'none'}")
print("batch log: every position trained exactly once" if ok else "batch log: NOT contiguous")
sys.exit(0 if ok else 1)
PY
echo "# models"
"$CLUSTER" hdfs -ls /drill/work/models/default | sed 's/^/    /'
grep -E '^test (BLEU|chrF)|^model bundle' "$WORK/attempt-$N.log" || true
echo "# final exit $rc after $((SECONDS - T0)) s"
exit "$rc"
