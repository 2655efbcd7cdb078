#!/usr/bin/env bash
# BPE (issue 4): our pure-Java joint BPE (data-prep, org.sparknmt.prep.bpe) side by side with
# SentencePiece BPE (Debian `sentencepiece`: spm_train / spm_encode) on the bundled Bible train split,
# both sides concatenated (a joint en+es vocabulary), same normalised file, same vocabulary size.
#
# Measures, interleaved in rounds (order alternates) so both tools see the same machine load:
#   1. learning: ours (count pre-tokens + learn merges, in one JVM, RUNS_LEARN runs) vs spm_train;
#   2. encoding on ONE core: both pinned with taskset to one CPU; spm_encode --output_format=id to
#      /dev/null vs our BpeBench encode (reads the file, encodes, writes decimal ids to a null stream;
#      every pass reloads the model files, so the word cache starts cold);
#   3. compression: subword tokens per sentence, ours vs SentencePiece;
#   plus a lossless check of ours over the whole corpus (decode(encode(line)) == line).
# Reports wall time and CPU time (user+sys of the process); CPU time is the per-core figure that
# survives a busy machine.
#
# SentencePiece flags: --model_type=bpe --vocab_size=$VOCAB --character_coverage=1.0
#   --byte_fallback=true --normalization_rule_name=identity --num_threads=2, i.e. the same vocabulary
#   budget as ours (256 byte tokens) and no extra normalisation of the already-normalised file.
#
# Usage: bench/bpe_bench.sh [--vocab 8000] [--rounds 3] [--learn-runs 3] [--encode-passes 5]
#                           [--no-pin] [--out FILE.jsonl]
# Needs: Java 17, Maven, python3, sentencepiece (installed with apt-get if missing).
# Env: WORKDIR (default /tmp/bpe-bench), MVN_ARGS (e.g. -o for an offline build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/native-env.sh
source "$ROOT/deploy/native-env.sh"   # OPENBLAS_CORETYPE for this CPU
VOCAB=8000
ROUNDS=3
LEARN_RUNS=3
ENCODE_PASSES=5
PIN=1
WORK=${WORKDIR:-/tmp/bpe-bench}
OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    --vocab) VOCAB=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --learn-runs) LEARN_RUNS=$2; shift 2 ;;
    --encode-passes) ENCODE_PASSES=$2; shift 2 ;;
    --no-pin) PIN=0; shift ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"
OUT=${OUT:-$WORK/bpe-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
: > "$OUT"

need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "# installing Debian package $2" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >&2 || { apt-get update >&2 && apt-get install -y "$2" >&2; }
  else sudo apt-get install -y "$2" >&2 || { sudo apt-get update >&2 && sudo apt-get install -y "$2" >&2; }; fi
}
need_pkg spm_train sentencepiece
need_pkg python3 python3
need_pkg taskset util-linux

echo "# building data-prep (main + test classes)" >&2
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl data-prep -am test-compile -Dspotless.check.skip=true >&2)
(cd "$ROOT" && mvn -B -q ${MVN_ARGS:-} -pl data-prep dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt" >&2)
# private copy of the classes: other builds of data-prep may rewrite target/ while this runs
rm -rf "$WORK/classes" && mkdir -p "$WORK/classes"
cp -r "$ROOT/data-prep/target/classes/." "$ROOT/data-prep/target/test-classes/." "$WORK/classes/"
CP=$WORK/classes:$(tr ':' '\n' < "$WORK/cp.txt" | grep '/slf4j-api-' | head -1)
JAVA=(java -Xmx1g -cp "$CP" org.sparknmt.prep.bpe.BpeBench)
PINCMD=()
[ "$PIN" = 1 ] && PINCMD=(taskset -c 0)

CORPUS=$WORK/train.en-es.txt
"${JAVA[@]}" prepare "$CORPUS" "$ROOT/data/bible-en-es/train.en.gz" "$ROOT/data/bible-en-es/train.es.gz" >/dev/null 2>&1
LINES=$(wc -l < "$CORPUS")
{
  echo "# corpus: $CORPUS ($(stat -c %s "$CORPUS") bytes, $LINES lines; NFC, single spaces)"
  echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores visible"
  echo "# java: $(java -version 2>&1 | head -1); sentencepiece: $(dpkg-query -W -f='${Version}' sentencepiece 2>/dev/null || spm_train --version 2>&1 | head -1)"
  echo "# vocab $VOCAB, rounds $ROUNDS, pinned encode: $PIN, date $(date -u +%FT%TZ), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$WORK/header.txt" >&2

# record LABEL WALL USER SYS [extra json]
record() {
  python3 -c 'import json,sys; d={"label":sys.argv[1],"wall_s":float(sys.argv[2]),"cpu_s":round(float(sys.argv[3])+float(sys.argv[4]),3)}; d.update(json.loads(sys.argv[5])); print(json.dumps(d))' \
    "$1" "$2" "$3" "$4" "${5:-{\}}" >> "$OUT"
}
TIMEFORMAT='%R %U %S'
timed() { # OUTFILE cmd... : runs cmd with stdout to OUTFILE, prints "wall user sys"; stops on failure
  local of=$1; shift
  if ! { time "$@" > "$of" 2>"$WORK/last.err"; } 2>&1; then
    { echo "# FAILED: $*"; tail -20 "$WORK/last.err"; } >&2
    kill -TERM $$
  fi
}

spm_train_round() {
  read -r w u s < <(timed /dev/null spm_train --input="$CORPUS" --model_prefix="$WORK/spm$VOCAB" \
    --vocab_size="$VOCAB" --model_type=bpe --character_coverage=1.0 --byte_fallback=true \
    --normalization_rule_name=identity --num_threads=2 --minloglevel=1)
  record spm_train "$w" "$u" "$s"
}
java_learn_round() {
  read -r w u s < <(timed "$WORK/learn.out" "${JAVA[@]}" learn "$CORPUS" "$VOCAB" "$WORK/java$VOCAB" "$LEARN_RUNS")
  grep '^{' "$WORK/learn.out" >> "$OUT"
  record java_learn_process "$w" "$u" "$s"
}
spm_encode_round() {
  read -r w u s < <(timed /dev/null "${PINCMD[@]}" spm_encode --model="$WORK/spm$VOCAB.model" --output_format=id --input="$CORPUS")
  record spm_encode "$w" "$u" "$s" "{\"lines\": $LINES}"
}
java_encode_round() {
  read -r w u s < <(timed "$WORK/encode.out" "${PINCMD[@]}" "${JAVA[@]}" encode "$WORK/java$VOCAB" "$CORPUS" "$ENCODE_PASSES")
  grep '^{' "$WORK/encode.out" >> "$OUT"
  record java_encode_process "$w" "$u" "$s" "{\"lines\": $LINES, \"passes\": $ENCODE_PASSES}"
}

for r in $(seq 1 "$ROUNDS"); do
  echo "# round $r/$ROUNDS" >&2
  if [ $((r % 2)) = 1 ]; then spm_train_round; java_learn_round; spm_encode_round; java_encode_round
  else java_learn_round; spm_train_round; java_encode_round; spm_encode_round; fi
done

spm_encode --model="$WORK/spm$VOCAB.model" --output_format=id --input="$CORPUS" \
  | awk '{n+=NF} END {printf "{\"label\": \"spm_token_stats\", \"tokens_per_line\": %.3f, \"lines\": %d}\n", n/NR, NR}' >> "$OUT"
"${JAVA[@]}" roundtrip "$WORK/java$VOCAB" "$CORPUS" 2>/dev/null | grep '^{' >> "$OUT"
spm_encode --model="$WORK/spm$VOCAB.model" --output_format=id --input="$CORPUS" \
  | spm_decode --model="$WORK/spm$VOCAB.model" --input_format=id | cmp -s - "$CORPUS" \
  && echo '{"label": "spm_roundtrip", "identical": true}' >> "$OUT" \
  || echo '{"label": "spm_roundtrip", "identical": false}' >> "$OUT"

echo "# raw results: $OUT" >&2
python3 - "$OUT" "$LINES" "$LEARN_RUNS" "$ENCODE_PASSES" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
lines, learn_runs, passes = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def sel(label, **kw):
    return [r for r in rows if r.get("label") == label and all(r.get(k) == v for k, v in kw.items())]
med = lambda xs: st.median(xs) if xs else float("nan")
spm_tr = sel("spm_train")
jl_warm = [r for r in sel("java_bpe_learn") if r["run"] > 1]
jl_cold = sel("java_bpe_learn", run=1)
jl_proc = sel("java_learn_process")
se = sel("spm_encode")
je_warm = [r for r in sel("java_bpe_encode") if r["run"] > 1]
je_cold = sel("java_bpe_encode", run=1)
je_proc = sel("java_encode_process")
spm_wall = med([r["wall_s"] for r in se]); spm_cpu = med([r["cpu_s"] for r in se])
print("| measurement | SentencePiece | ours (Java) | ours vs spm |")
print("|---|---|---|---|")
a = med([r["wall_s"] for r in spm_tr]); b = med([r["total_s"] for r in jl_warm])
print(f"| learn, wall s (ours: count+learn, warm JVM) | {a:.2f} | {b:.2f} | {a/b:.2f}× faster |")
a2 = med([r["cpu_s"] for r in spm_tr]); b2 = med([r["proc_cpu_s"] for r in jl_warm])
print(f"| learn, CPU s (all threads) | {a2:.2f} | {b2:.2f} | {a2/b2:.2f}× less CPU |")
b3 = med([r["wall_s"] for r in jl_proc])
print(f"| learn, whole JVM process incl. start-up and {learn_runs} runs, wall s | {a:.2f} | {b3:.2f} | |")
print(f"| learn, first run in a fresh JVM, wall s | | {med([r['total_s'] for r in jl_cold]):.2f} | |")
x = lines / spm_wall; y = med([r["lines_per_s"] for r in je_warm])
print(f"| encode 1 core, lines/s wall (ours: warm JIT, cold cache) | {x:,.0f} | {y:,.0f} | {y/x:.2f}× faster |")
x2 = lines / spm_cpu; y2 = med([lines / r["proc_cpu_s"] for r in je_warm])
print(f"| encode 1 core, lines per CPU-s | {x2:,.0f} | {y2:,.0f} | {y2/x2:.2f}× faster |")
y3 = med([r["lines_per_s"] for r in je_cold])
print(f"| encode, first pass in a fresh JVM, lines/s wall | {x:,.0f} | {y3:,.0f} | {y3/x:.2f}× |")
y4 = med([lines * passes / r["wall_s"] for r in je_proc])
print(f"| encode, whole JVM process incl. start-up and {passes} passes, lines/s wall | {x:,.0f} | {y4:,.0f} | {y4/x:.2f}× |")
st_spm = sel("spm_token_stats")[0]["tokens_per_line"]; st_j = med([r["tokens_per_line"] for r in je_warm + je_cold])
print(f"| subwords per sentence | {st_spm:.2f} | {st_j:.2f} | {st_j/st_spm:.3f}× (fewer is better) |")
rt = sel("java_bpe_roundtrip")[0]; srt = sel("spm_roundtrip")[0]
print(f"| lossless on the corpus | {'yes' if srt['identical'] else 'no'} | {'yes' if rt['mismatches'] == 0 else str(rt['mismatches']) + ' lines differ'} | |")
print(f"\nruns: spm_train {len(spm_tr)}, java learn warm {len(jl_warm)}, spm_encode {len(se)}, java encode warm passes {len(je_warm)}")
PY
