#!/usr/bin/env bash
# Shard I/O on HDFS (issue 12, part 1): the shard step's write throughput and training's read
# throughput of the training batches, for two builds of sparknmt in one session on the same local
# standalone cluster + HDFS (deploy/local-cluster.sh: NameNode, DataNode, master, 2 workers of 1
# core): BEFORE = one HDFS file per batch (sparknmt-shards/1, e.g. commit b700926), AFTER = this
# tree (sparknmt-shards/2, batches packed into part files).
#
# The bundled Bible corpus goes into HDFS and is cleaned and BPE-encoded once (this tree's jar);
# then, REPS times and alternating the builds, each build's shard step (PrepareJob --steps shard,
# client mode, the main command's 64-pair batches) rewrites the shards on HDFS from the executors,
# and ShardReadBench (bench/shard-io/) reads every training batch back from HDFS through that
# build's training loader in tasks of PER_TASK batches (a worker's round in conf/bible.conf: 4).
# Write time = the shard step's own "wrote N training batches ... in X s" (sort, batch building,
# HDFS writes of the training set); MB = the training set's bytes on HDFS.
#
# Usage: bench/shard_io_bench.sh --before DIR [--reps 3] [--per-task 4] [--batch 64]
#   DIR: a worktree of the old commit, built with `mvn -B -q -o -DskipTests package` (no install)
# Env: WORKDIR (default /tmp/shard-io-bench). Results: one line per run on stdout, logs in WORKDIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
BEFORE=""
REPS=3
PER_TASK=4
BATCH=64
WORK=${WORKDIR:-/tmp/shard-io-bench}
while [ $# -gt 0 ]; do
  case $1 in
    --before) BEFORE=$(cd "$2" && pwd); shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --per-task) PER_TASK=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$BEFORE" ] || { echo "--before DIR is required (see the header of $0)" >&2; exit 2; }
for tree in "$BEFORE" "$ROOT"; do
  [ -f "$tree/spark-jobs/target/sparknmt-app.jar" ] \
    || { echo "no $tree/spark-jobs/target/sparknmt-app.jar: build it with mvn -DskipTests package" >&2; exit 2; }
done
mkdir -p "$WORK"
# private copies: other builds may rewrite target/ while this runs
cp "$BEFORE/spark-jobs/target/sparknmt-app.jar" "$WORK/before.jar"
cp "$ROOT/spark-jobs/target/sparknmt-app.jar" "$WORK/after.jar"
export SPARKNMT_CLUSTER_DIR=$WORK/cluster
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
CLUSTER=$ROOT/deploy/local-cluster.sh
SPARK_JARS=$ROOT/local-cluster/spark-home/target/spark-home/jars

{
  echo "# date $(date -u +%FT%TZ); $(getconf _NPROCESSORS_ONLN) cores: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "# java: $(java -version 2>&1 | head -1); $(uname -sr); OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
  echo "# before: $(git -C "$BEFORE" log -1 --format='%h %s' | cut -c1-80)"
  echo "# after:  $(git -C "$ROOT" log -1 --format='%h %s' | cut -c1-80)"
  echo "# cluster: standalone master + 2 workers x 1 core, HDFS NameNode + 1 DataNode, all on this machine"
  echo "# workload: bundled Bible corpus, $BATCH-pair batches; read: tasks of $PER_TASK batches, shuffled order"
  echo "# uptime at start: $(uptime)"
}

"$CLUSTER" start --workers 2 --worker-cores 1 >"$WORK/start.log" 2>&1 \
  || { cat "$WORK/start.log" >&2; exit 1; }
trap '"$CLUSTER" stop >/dev/null 2>&1 || true' EXIT
HDFS=$("$CLUSTER" status | sed -n 's/^hdfs *//p')
D=$ROOT/data/bible-en-es
"$CLUSTER" hdfs -rm -r -f -skipTrash /bench >/dev/null 2>&1 || true
"$CLUSTER" hdfs -mkdir -p /bench/in
"$CLUSTER" hdfs -put "$D"/train.en.gz "$D"/train.es.gz "$D"/dev.en.gz "$D"/dev.es.gz /bench/in/
SHARD_SETS=(--set sparknmt.shard.batch-tokens=0 --set "sparknmt.shard.batch-size-per-worker=$BATCH")
SPARKNMT_APP_JAR=$WORK/after.jar "$CLUSTER" submit --class org.sparknmt.jobs.prep.PrepareJob \
  --steps corpus,vocab --source /bench/in/train.en.gz --target /bench/in/train.es.gz \
  --dev-source /bench/in/dev.en.gz --dev-target /bench/in/dev.es.gz --out /bench/base \
  "${SHARD_SETS[@]}" >"$WORK/base.log" 2>&1 || { tail -30 "$WORK/base.log" >&2; exit 1; }

for rep in $(seq 1 "$REPS"); do
  for build in before after; do
    LOG=$WORK/shard-$build-$rep.log
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    SPARKNMT_APP_JAR=$WORK/$build.jar "$CLUSTER" submit --class org.sparknmt.jobs.prep.PrepareJob \
      --steps shard --out /bench/base --set sparknmt.data.overwrite=true "${SHARD_SETS[@]}" \
      >"$LOG" 2>&1 || { tail -30 "$LOG" >&2; exit 1; }
    line=$(grep -o 'wrote [0-9]* training batches.* in [0-9.]* s' "$LOG" | head -1)
    batches=$(sed 's/wrote \([0-9]*\) training.*/\1/' <<<"$line")
    seconds=$(sed 's/.* in \([0-9.]*\) s$/\1/' <<<"$line")
    files=$("$CLUSTER" hdfs -count /bench/base/shards/train | awk '{print $2}')
    bytes=$("$CLUSTER" hdfs -du -s /bench/base/shards/train | awk '{print $1}')
    awk -v b="$build" -v r="$rep" -v n="$batches" -v s="$seconds" -v f="$files" -v by="$bytes" -v l="$load" \
      'BEGIN { printf "write %-6s rep %d: %d batches in %d files, %.1f MB, %.1f s: %.1f batches/s, %.2f MB/s (load %s)\n", b, r, n, f, by/1e6, s, n/s, by/1e6/s, l }'
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    java -cp "$WORK/$build.jar:$SPARK_JARS/*" -Dlog4j2.level=warn \
      "$ROOT/bench/shard-io/ShardReadBench.java" "$HDFS/bench/base/shards" "$PER_TASK" 2 \
      2>"$WORK/read-$build-$rep.log" | tail -1 | sed "s/^/read  $build rep $rep (load $load, 2nd pass): /"
  done
done
echo "# uptime at end: $(uptime)"
