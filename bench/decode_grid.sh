#!/usr/bin/env bash
# Chooses decoding on a dev set, as docs/QUALITY.md does: decodes one evaluation set of a pipeline
# run's shards with every model bundle x length penalty given (EvaluateJob, Spark local[2], beam and
# the rest as the configuration files say) and prints BLEU / chrF / hypothesis-reference length
# ratio for each; the rows are appended to WORK/decode-grid.jsonl.
# Usage: bench/decode_grid.sh WORK SET "VERSION..." "ALPHA..." [CONF...]
#   WORK     the pipeline's work directory (SPARKNMT_WORK of deploy/run-pipeline.sh)
#   SET      dev or test (choose on dev; score the choice once on test)
#   CONF     configuration files layered over conf/bible.conf (e.g. conf/bible-peer.conf)
# e.g. bench/decode_grid.sh runs/bible-peer dev "v0001 v0002" "0.6 1.0 1.5 2.0" conf/bible-peer.conf
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 4 ] || { sed -n 2,10p "$0" >&2; exit 2; }
WORK=$(cd "$1" && pwd) SET=$2 VERSIONS=$3 ALPHAS=$4
shift 4
CONFS=()
for c in "$@"; do CONFS+=(--conf "$(cd "$(dirname "$c")" && pwd)/$(basename "$c")"); done
# shellcheck source=bench/spark_lib.sh
source "$ROOT/bench/spark_lib.sh"
ensure_built
mkdir -p "$WORK/decode-grid"
for version in $VERSIONS; do
  for alpha in $ALPHAS; do
    out=$WORK/decode-grid/$version-$SET-alpha$alpha
    rm -rf "$out"
    job org.sparknmt.jobs.EvaluateJob ${CONFS[@]+"${CONFS[@]}"} \
      --bundle "file://$WORK/models/default/$version" \
      --shards "file://$WORK/data/shards" --eval-set "$SET" --out "file://$out" \
      --set sparknmt.spark.master='"local[2]"' --set sparknmt.decode.length-penalty="$alpha" \
      >"$out.log" 2>&1 || { echo "EvaluateJob failed, see $out.log" >&2; exit 1; }
    python3 - "$out/metrics.json" "$version" "$SET" "$alpha" <<'PY' | tee -a "$WORK/decode-grid.jsonl"
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"bundle": sys.argv[2], "set": sys.argv[3], "lengthPenalty": float(sys.argv[4]),
                  "bleu": round(m["bleu"], 2), "chrf": round(m["chrf"], 2), "ratio": round(m["ratio"], 3),
                  "bleuSignature": m["bleuSignature"], "chrfSignature": m["chrfSignature"]}))
PY
  done
done
