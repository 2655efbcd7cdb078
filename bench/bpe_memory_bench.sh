#!/usr/bin/env bash
# Issue 12 item 4: driver memory of BPE learning against the number of distinct pre-tokens. The
# vocab step collects at most sparknmt.bpe.max-words word counts to the driver and learns there;
# this measures, for WORDS distinct pre-tokens (the Bible corpus's own words, then variants of them
# with Zipf-like counts; org.sparknmt.prep.bpe.BpeBench memory):
#   map_mb              heap retained by the count map after a full GC
#   learn_peak_heap_mb  the heap pools' peak while learning VOCAB merges (garbage included)
#   min_xmx             the smallest -Xmx of XMX_STEPS with which counting + learning finishes
# Usage: bench/bpe_memory_bench.sh [--words "250000 500000 1000000 2000000"] [--vocab 8000]
#                                  [--xmx "256m 512m 768m 1g 1536m 2g 3g 4g"] [--out FILE]
# Needs Java 17 and Maven; one JVM at a time, one thread of work (GC threads aside).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
WORDS="250000 500000 1000000 2000000" VOCAB=8000 XMX_STEPS="256m 512m 768m 1g 1536m 2g 3g 4g"
OUT=$ROOT/bench/results-bpe-memory-$(date -u +%F).txt
while [ $# -gt 0 ]; do
  case $1 in
    --words) WORDS=$2; shift 2 ;;
    --vocab) VOCAB=$2; shift 2 ;;
    --xmx) XMX_STEPS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/bpe-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl data-prep -am test-compile -Dspotless.check.skip=true >&2)
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl data-prep dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt" >&2)
CP=$ROOT/data-prep/target/test-classes:$ROOT/data-prep/target/classes:$(cat "$WORK/cp.txt")
bench() { # XMX ARGS...
  local xmx=$1; shift
  java "-Xmx$xmx" -cp "$CP" org.sparknmt.prep.bpe.BpeBench "$@" 2>/dev/null
}
D=$ROOT/data/bible-en-es
bench 1g prepare "$WORK/corpus.txt" "$D/train.en.gz" "$D/train.es.gz" >/dev/null
{
  echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; $(java -version 2>&1 | head -1); vocab $VOCAB; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for n in $WORDS; do
    line=$(bench 8g memory "$WORK/corpus.txt" "$n" "$VOCAB" | grep '^{')
    min=none
    for x in $XMX_STEPS; do
      if bench "$x" memory "$WORK/corpus.txt" "$n" "$VOCAB" >/dev/null 2>&1; then min=$x; break; fi
    done
    echo "${line%\}}, \"min_xmx\": \"$min\"}"
  done
  echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
