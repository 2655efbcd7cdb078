#!/usr/bin/env bash
# Corpus pipeline (issue 4): the whole prepare (corpus -> vocab -> shard) on the bundled Bible
# corpus in Spark local mode, run as a user would: one `java -cp` process of PrepareJob with the
# build's Java options, local[2], joint BPE vocabulary 8000, dev + test files taken through the same
# normaliser. Wall time of the whole process (JVM + Spark start-up included) and per step (from the
# job's log), plus the manifest's pair counts and padding efficiency.
#
# Usage: bench/prep_bench.sh [--runs 3] [--master local[2]] [--batch 32]
# Env: WORKDIR (default /tmp/prep-bench), MVN_ARGS (e.g. -o for an offline build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
RUNS=3
MASTER="local[2]"
BATCH=32
WORK=${WORKDIR:-/tmp/prep-bench}
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --master) MASTER=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"

echo "# building data-prep and spark-jobs" >&2
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl data-prep install -DskipTests -Dspotless.check.skip=true >&2)
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl spark-jobs compile -Dspotless.check.skip=true >&2)
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl spark-jobs dependency:build-classpath \
  -Dmdep.includeScope=compile -Dmdep.outputFile="$WORK/cp.txt" >&2)
# private copy of the classes: other builds may rewrite target/ while this runs
rm -rf "$WORK/classes" && mkdir -p "$WORK/classes"
cp -r "$ROOT/spark-jobs/target/classes/." "$WORK/classes/"
CP=$WORK/classes:$(cat "$WORK/cp.txt")
OPTS=$(java -cp "$CP" org.sparknmt.jobs.JvmOptions)
D=$ROOT/data/bible-en-es
{
  echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores visible"
  echo "# java: $(java -version 2>&1 | head -1); master $MASTER; batch $BATCH; date $(date -u +%FT%TZ)"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >&2

for run in $(seq 1 "$RUNS"); do
  OUT=$WORK/out
  rm -rf "$OUT"
  LOG=$WORK/run-$run.log
  START=$(date +%s.%N)
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S" -o "$WORK/time-$run.txt" \
    env OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE SPARK_LOCAL_IP=127.0.0.1 java -Xmx3g $OPTS \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$CP" \
    org.sparknmt.jobs.prep.PrepareJob \
    --source "$D/train.en.gz" --target "$D/train.es.gz" \
    --dev-source "$D/dev.en.gz" --dev-target "$D/dev.es.gz" \
    --test-source "$D/test.en.gz" --test-target "$D/test.es.gz" \
    --out "$OUT" --set "sparknmt.spark.master=\"$MASTER\"" \
    --set sparknmt.shard.batch-tokens=0 --set sparknmt.shard.batch-size-per-worker="$BATCH" 2> "$LOG"
  read -r WALL USER SYS < "$WORK/time-$run.txt"
  steps=$(sed -n 's/.*prepare: step \([a-z]*\) done in \([0-9.]*\) s.*/\1=\2s/p' "$LOG" | tr '\n' ' ')
  python3 - "$OUT" "$run" "$WALL" "$USER" "$SYS" "$steps" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
out, run, wall, user, sys_, steps, load = sys.argv[1:]
r = json.load(open(out + "/corpus/report.json"))
m = json.load(open(out + "/shards/manifest.json"))
t = m["train"]
print(f"run {run}: wall {float(wall):.1f} s (cpu {float(user)+float(sys_):.1f} s, load {load}) steps {steps}| "
      f"input {r['pairs']['input']} kept {r['pairs']['kept']} rejected {r['rejectedBy']} | "
      f"batched {t['pairs']['batched']} in {t['batches']} batches, leftover {t['pairs']['batch-leftover']}, "
      f"too long {t['pairs']['too-long-subwords']} | padding efficiency {t['paddingEfficiency']:.4f} | "
      f"dev {m['dev']['pairs']['input']} test {m['test']['pairs']['input']} | bpe {m['bpe']['sha256'][:12]}")
PY
done
