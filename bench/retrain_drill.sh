#!/usr/bin/env bash
# Scheduled-retraining drill on the bundled Bible corpus, in Spark local mode (local[2], the main
# command's recipe conf/bible.conf): the train split is cut into three TSV parts as if data landed
# in two deliveries, and RetrainJob is fired as a scheduler would:
#   1. snapshot 1 = parts 1+2: no champion yet -> trains from scratch, promoted       (exit 0)
#   2. snapshot 1 again                        -> nothing to do                       (exit 5)
#   3. snapshot 2 = parts 1+2+3                -> parts 1, 2 from the part cache, only part 3
#      cleaned; warm start from the champion, its BPE; promoted if it beats it        (exit 0 or 4)
# Prints each firing's wall time, exit code and decision, and the model's history.
# Usage: bench/retrain_drill.sh [EPOCHS_FIRST (3)] [EPOCHS_WARM (2)]   (about 20 min on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
cd "$ROOT"
EPOCHS_FIRST=${1:-3}
EPOCHS_WARM=${2:-2}
APP_JAR=$ROOT/spark-jobs/target/sparknmt-app.jar
SPARK_JARS=$ROOT/local-cluster/spark-home/target/spark-home/jars
DATA=$ROOT/data/bible-en-es
if [ ! -f "$APP_JAR" ] || ! compgen -G "$SPARK_JARS/*.jar" >/dev/null; then
  mvn -B -q -ntp -DskipTests install
fi
WORK=${SPARKNMT_WORK:-$ROOT/runs/retrain-drill}
rm -rf "$WORK"
mkdir -p "$WORK/snapshot-1" "$WORK/snapshot-2"

# three parts of the train split: lines 1-9000, 9001-18000, 18001-end
paste <(zcat "$DATA/train.en.gz") <(zcat "$DATA/train.es.gz") > "$WORK/all.tsv"
sed -n '1,9000p' "$WORK/all.tsv" > "$WORK/snapshot-1/part-0001.tsv"
sed -n '9001,18000p' "$WORK/all.tsv" > "$WORK/snapshot-1/part-0002.tsv"
cp "$WORK/snapshot-1/"*.tsv "$WORK/snapshot-2/"
sed -n '18001,$p' "$WORK/all.tsv" > "$WORK/snapshot-2/part-0003.tsv"
rm "$WORK/all.tsv"

export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE SPARK_LOCAL_IP=127.0.0.1
JAVA_OPTS=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
fire() { # SNAPSHOT EPOCHS
  local start end rc=0
  start=$(date +%s)
  # shellcheck disable=SC2086
  java -Xmx4g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=10G \
    $JAVA_OPTS -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    -cp "$APP_JAR:$SPARK_JARS/*" org.sparknmt.jobs.RetrainJob --conf "$ROOT/conf/bible.conf" \
    --snapshot "$WORK/$1" \
    --dev-source "$DATA/dev.en.gz" --dev-target "$DATA/dev.es.gz" \
    --test-source "$DATA/test.en.gz" --test-target "$DATA/test.es.gz" \
    --work "$WORK/retrain" --models "$WORK/store" --name bible \
    --set sparknmt.train.epochs="$2" > "$WORK/$1-$3.log" 2>&1 || rc=$?
  end=$(date +%s)
  echo "firing $3: $1, epochs $2: exit $rc after $((end - start)) s: $(grep '^\[retrain\]' "$WORK/$1-$3.log" | tail -1)"
}

echo "# $(date -u +%FT%TZ) retraining drill, conf/bible.conf, local[2], OMP_NUM_THREADS=1" \
  "OMP_WAIT_POLICY=PASSIVE; $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "$(java -version 2>&1 | head -1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
fire snapshot-1 "$EPOCHS_FIRST" 1
fire snapshot-1 "$EPOCHS_FIRST" 2
fire snapshot-2 "$EPOCHS_WARM" 3
echo "# part cache: $(find "$WORK/retrain/parts" -maxdepth 1 -mindepth 1 -not -name '.*' | wc -l) entries"
for f in "$WORK"/retrain/runs/*/data/corpus/report.json; do
  echo "# $(dirname "$(dirname "$(dirname "$f")")" | xargs basename): $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"].get("partCache"))' "$f")"
done
echo "# history of model 'bible':"
cat "$WORK/store/models/bible/history.jsonl"
