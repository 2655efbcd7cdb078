#!/usr/bin/env bash
# Issue 6 benchmark: training throughput of the README's model (conf/bible.conf) on the same shard
# batches in (a) a single JVM (ComputationGraph.fit, 1 ND4J thread) and (b) Spark local[2] with two
# dl4j-spark parameter-averaging workers (1 ND4J thread each), interleaved; prints JSON lines and
# the parameter-averaging efficiency (b) / (2 x (a)).
# Usage: bench/train_spark_bench.sh [SHARDS_DIR] [BATCHES] [ROUNDS]
#   SHARDS_DIR defaults to runs/bible/data/shards (made by deploy/run-pipeline.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARDS=$(realpath "${1:-runs/bible/data/shards}")
BATCHES=${2:-40}
ROUNDS=${3:-2}
[ -f "$SHARDS/manifest.json" ] || { echo "no shards at $SHARDS: run deploy/run-pipeline.sh first" >&2; exit 2; }
mvn -B -q -ntp -o test-compile -pl spark-jobs -am -Dspotless.check.skip=true >/dev/null
mvn -B -q -ntp -o dependency:build-classpath -pl spark-jobs -Dmdep.outputFile=/tmp/sparknmt-bench-cp.txt >/dev/null
CP="$ROOT/spark-jobs/target/test-classes:$ROOT/spark-jobs/target/classes:$(cat /tmp/sparknmt-bench-cp.txt)"
JAVA_OPTS=$(java -cp "$ROOT/spark-jobs/target/classes" org.sparknmt.jobs.JvmOptions)
export OMP_NUM_THREADS=1 SPARK_LOCAL_IP=127.0.0.1
run() { # shellcheck disable=SC2086
  java -Xmx6g $JAVA_OPTS -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$CP" \
    org.sparknmt.jobs.bench.ParameterAveragingBench "file://$SHARDS" "$BATCHES" "$@" \
    --conf "$ROOT/conf/bible.conf" 2>/dev/null | grep '^{'
}
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p') load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  run single --set sparknmt.spark.master='"local[1]"'
  run spark --set sparknmt.spark.master='"local[2]"' --set sparknmt.train.workers=2
done | tee /tmp/sparknmt-train-bench.jsonl
python3 - <<'PY'
import json
rows=[json.loads(l) for l in open('/tmp/sparknmt-train-bench.jsonl')]
s=[r['tokensPerSec'] for r in rows if r['mode']=='single']
p=[r['tokensPerSec'] for r in rows if r['mode']=='spark']
w=[r['workers'] for r in rows if r['mode']=='spark'][0]
ms=sorted(s)[len(s)//2]; mp=sorted(p)[len(p)//2]
print(f"single JVM median {ms:.0f} tok/s; Spark local[2] x {w} workers median {mp:.0f} tok/s; "
      f"speed-up {mp/ms:.2f}x; parameter-averaging efficiency {mp/(w*ms):.2f}")
PY
