#!/usr/bin/env bash
# Issue 12 item 4: does prepare (corpus -> vocab -> shard) grow linearly with the corpus? Synthetic
# corpora of PAIRS sentence pairs made from the bundled Bible train split: copy k of the corpus has
# one word inserted on each side of every pair at positions and with words drawn from the corpus by
# a seeded generator (so the copies survive the duplicate filter and grow the vocabulary a little,
# as more text does). Each size is prepared by one PrepareJob process in Spark local[2] (the main
# command's way, conf/bible.conf), on the local file system; wall time of the whole process and per
# step (from the job's log), pairs kept, distinct pre-tokens.
# Usage: bench/prepare_scaling_bench.sh [--pairs "250000 500000 1000000 2000000"] [--out FILE]
# Env: WORKDIR (default /tmp/prepare-scaling; needs ~2 GB for 2M pairs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
SIZES="250000 500000 1000000 2000000"
OUT=$ROOT/bench/results-prepare-scaling-$(date -u +%F).txt
WORK=${WORKDIR:-/tmp/prepare-scaling}
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) SIZES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
APP_JAR=$ROOT/spark-jobs/target/sparknmt-app.jar
SPARK_JARS=$ROOT/local-cluster/spark-home/target/spark-home/jars
if [ ! -f "$APP_JAR" ] || ! compgen -G "$SPARK_JARS/*.jar" >/dev/null; then
  (cd "$ROOT" && mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true install >&2)
fi
JAVA_OPTS=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE SPARK_LOCAL_IP=127.0.0.1
mkdir -p "$WORK"
D=$ROOT/data/bible-en-es

synthesize() { # PAIRS DIR: DIR/train.{en,es}.gz of PAIRS pairs
  python3 - "$1" "$2" "$D" <<'PY'
import gzip, random, sys
n, out, data = int(sys.argv[1]), sys.argv[2], sys.argv[3]
src = gzip.open(f"{data}/train.en.gz", "rt", encoding="utf-8").read().splitlines()
tgt = gzip.open(f"{data}/train.es.gz", "rt", encoding="utf-8").read().splitlines()
rnd = random.Random(12345)
sw = [w for l in src[:2000] for w in l.split()]
tw = [w for l in tgt[:2000] for w in l.split()]
def insert(line, words):
    ws = line.split()
    ws.insert(rnd.randrange(len(ws) + 1), rnd.choice(words))
    return " ".join(ws)
with gzip.open(f"{out}/train.en.gz", "wt", encoding="utf-8", compresslevel=1) as fe, \
     gzip.open(f"{out}/train.es.gz", "wt", encoding="utf-8", compresslevel=1) as fs:
    for i in range(n):
        k, j = divmod(i, len(src))
        s, t = src[j], tgt[j]
        if k:
            s, t = insert(s, sw), insert(t, tw)
        fe.write(s + "\n"); fs.write(t + "\n")
PY
}

{
  echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; $(java -version 2>&1 | head -1); local[2], conf/bible.conf; OMP_NUM_THREADS=1; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for n in $SIZES; do
    dir=$WORK/corpus-$n
    mkdir -p "$dir"
    [ -f "$dir/train.es.gz" ] || synthesize "$n" "$dir"
    rm -rf "$WORK/out-$n"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    java -Xmx4g -Dorg.bytedeco.javacpp.maxbytes=4G $JAVA_OPTS \
      -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$APP_JAR:$SPARK_JARS/*" \
      org.sparknmt.jobs.prep.PrepareJob --conf "$ROOT/conf/bible.conf" \
      --source "$dir/train.en.gz" --target "$dir/train.es.gz" \
      --dev-source "$D/dev.en.gz" --dev-target "$D/dev.es.gz" --out "$WORK/out-$n" > "$WORK/log-$n.txt" 2>&1
    end=$(date +%s.%N)
    python3 - "$n" "$start" "$end" "$WORK/log-$n.txt" "$WORK/out-$n/shards/manifest.json" <<'PY'
import json, re, sys
n, start, end, log, manifest = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
text = open(log).read()
def seconds(pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
m = json.load(open(manifest))
words = re.search(r"vocab: (\d+) distinct pre-tokens", text)
print(json.dumps({"pairs": n, "wall_s": round(end - start, 1),
                  "corpus_s": seconds(r"prepare: step corpus done in ([\d.]+) s"),
                  "vocab_s": seconds(r"prepare: step vocab done in ([\d.]+) s"),
                  "shard_s": seconds(r"prepare: step shard done in ([\d.]+) s"),
                  "pairs_batched": m["train"]["pairs"]["batched"], "batches": m["train"]["batches"],
                  "distinct_pretokens": int(words.group(1)) if words else None,
                  "us_per_pair": round((end - start) / n * 1e6, 1)}))
PY
  done
  echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
