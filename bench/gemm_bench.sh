#!/usr/bin/env bash
# fp32 GEMM GFLOP/s: ND4J (bench/gemm, several native/BLAS setups) next to PyTorch, numpy and oneDNN
# (bench/peers/gemm_bench.py), interleaved in one run so that they share the machine's load.
#
# Usage: bench/gemm_bench.sh [options]
#   --variants "default avx512 onednn openblas-0.3.31 mkl"   ND4J setups (see variant_* below)
#   --threads "1 2"      OMP_NUM_THREADS values        --sizes "1024 2048"
#   --rounds 2           interleaved rounds (order reversed every other round)
#   --repeats 11         timed repeats per measurement (median reported)
#   --out FILE.jsonl     raw results (default bench/gemm/target/gemm-<time>.jsonl)
#   --train-steps 60     after the GEMM rounds, TrainCheck per variant and thread count: float ops vs
#                        double and a small DL4J ComputationGraph trained for N steps (0 = skip)
# Prints a Markdown table (median over rounds of each run's median) at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench/gemm
VARIANTS="default avx512 onednn openblas-0.3.31 mkl"
THREADS="1 2"
SIZES="1024 2048"
ROUNDS=2
REPEATS=11
OUT=""
TRAIN_STEPS=60
while [ $# -gt 0 ]; do
  case $1 in
    --variants) VARIANTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --train-steps) TRAIN_STEPS=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
mkdir -p "$BENCH/target"
OUT=${OUT:-$BENCH/target/gemm-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
: > "$OUT"

# Versions tried besides the pinned build (javacpp 1.5.7 presets = what nd4j-native M2.1 uses).
OPENBLAS_NEW=0.3.31-1.5.13   # newest bytedeco OpenBLAS on Central; only its native jar is swapped in
MKL=2022.0-1.5.7             # bytedeco MKL built for javacpp 1.5.7, loaded through the OpenBLAS preset

# --- peer packages (Debian) ----------------------------------------------------------------------
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null \
    || [ ! -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "# installing python3-torch python3-numpy libopenblas0-openmp" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      python3-torch python3-numpy libopenblas0-openmp >/dev/null
  else
    echo "need Debian packages python3-torch python3-numpy libopenblas0-openmp (run as root)" >&2
    exit 1
  fi
fi

# --- build: one classpath per ND4J variant -------------------------------------------------------
MVN=(mvn -B -q -f "$BENCH/pom.xml")
JAR=$BENCH/target/sparknmt-bench-gemm-0.1.0-SNAPSHOT.jar
"${MVN[@]}" package >&2

classpath() {  # classpath NAME [maven args...]  -> $BENCH/target/cp-NAME.txt
  local name=$1; shift
  "${MVN[@]}" dependency:build-classpath -Dmdep.outputFile="$BENCH/target/cp-$name.txt" "$@" >&2
}
fetch_jar() {  # fetch_jar groupId:artifactId:version[:packaging:classifier]  -> path in target/jars
  local coords=$1 g a v c
  IFS=: read -r g a v _ c <<< "$coords"
  "${MVN[@]}" dependency:copy -Dartifact="$g:$a:$v:jar${c:+:$c}" \
    -DoutputDirectory="$BENCH/target/jars" >&2
  echo "$BENCH/target/jars/$a-$v${c:+-$c}.jar"
}

declare -A CP JOPTS
for v in $VARIANTS; do
  JOPTS[$v]=""
  case $v in
    default) classpath default ;;
    avx2|avx512|onednn|onednn-avx2|onednn-avx512)
      classpath "$v" -Dnd4j.native.classifier=linux-x86_64-$v ;;
    openblas-0.3.31)
      classpath default
      new=$(fetch_jar "org.bytedeco:openblas:$OPENBLAS_NEW:jar:linux-x86_64")
      sed "s#[^:]*/openblas-[^:/]*-linux-x86_64\.jar#$new#" "$BENCH/target/cp-default.txt" \
        > "$BENCH/target/cp-$v.txt" ;;
    mkl)
      classpath default
      extra=$(fetch_jar "org.bytedeco:mkl:$MKL"):$(fetch_jar "org.bytedeco:mkl:$MKL:jar:linux-x86_64")
      extra=$extra:$(fetch_jar "org.bytedeco:mkl:$MKL:jar:linux-x86_64-redist")
      echo "$(cat "$BENCH/target/cp-default.txt"):$extra" > "$BENCH/target/cp-$v.txt"
      JOPTS[$v]="-Dorg.bytedeco.openblas.load=mkl_rt" ;;
    coretype-*)  # bundled OpenBLAS with a forced kernel set, e.g. coretype-SkylakeX
      classpath default
      cp "$BENCH/target/cp-default.txt" "$BENCH/target/cp-$v.txt" ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  CP[$v]=$JAR:$(cat "$BENCH/target/cp-$v.txt")
done

# --- run, interleaved ----------------------------------------------------------------------------
run_nd4j() {  # run_nd4j VARIANT THREADS
  local v=$1 t=$2 ct=""
  case $v in coretype-*) ct=${v#coretype-} ;; esac
  # shellcheck disable=SC2086
  env OMP_NUM_THREADS="$t" ${ct:+OPENBLAS_CORETYPE=$ct} java -Xmx2g ${JOPTS[$v]} -cp "${CP[$v]}" \
    org.sparknmt.bench.GemmBench --sizes $SIZES --repeats "$REPEATS" --label "$v" \
    2> "$BENCH/target/last-$v-$t.log" | tee /dev/stderr | tail -1 >> "$OUT"
}
run_peer() {  # run_peer THREADS
  # shellcheck disable=SC2086
  "$ROOT/bench/peers/torch_peer.sh" "$ROOT/bench/peers/gemm_bench.py" --threads "$1" \
    --sizes $SIZES --repeats "$REPEATS" --label peer | tee /dev/stderr | tail -1 >> "$OUT"
}
load() { echo "{\"uptime\": \"$(uptime | sed 's/.*load average/load average/')\", \"when\": \"$1\"}" >> "$OUT"; }

echo "# $(date -u) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; results -> $OUT" >&2
for r in $(seq 1 "$ROUNDS"); do
  order="$VARIANTS peer"
  [ $((r % 2)) = 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
  for t in $THREADS; do
    load "round $r threads $t start"
    for v in $order; do
      if [ "$v" = peer ]; then run_peer "$t"; else run_nd4j "$v" "$t"; fi
    done
  done
done

# --- does each setup work beyond GEMM? -----------------------------------------------------------
TRAIN_FAILED=""
if [ "$TRAIN_STEPS" -gt 0 ]; then
  for t in $THREADS; do
    for v in $VARIANTS; do
      ct=""
      case $v in coretype-*) ct=${v#coretype-} ;; esac
      # shellcheck disable=SC2086
      if ! env OMP_NUM_THREADS="$t" ${ct:+OPENBLAS_CORETYPE=$ct} java -Xmx2g ${JOPTS[$v]} \
          -cp "${CP[$v]}" org.sparknmt.bench.TrainCheck "$v" "$TRAIN_STEPS" \
          2> "$BENCH/target/last-train-$v-$t.log" | tail -1 | sed "s/}\$/, \"threads\": $t}/" \
          | tee /dev/stderr >> "$OUT"; then
        TRAIN_FAILED="$TRAIN_FAILED $v/$t"
      fi
    done
  done
fi
load end

# --- table ---------------------------------------------------------------------------------------
/usr/bin/python3 - "$OUT" <<'EOF'
import json, statistics, sys
med, best, cpu, loads, train = {}, {}, {}, [], []
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "uptime" in d:
        loads.append(d["uptime"].replace("load average: ", ""))
        continue
    if d.get("check") == "train":
        train.append(d)
        continue
    for r in d["results"]:
        if d.get("backend") == "nd4j":
            col, t = "nd4j %s %s" % (d["label"], r["op"]), d["threads"]
        else:
            col, t = r["backend"], r["threads"]
        med.setdefault((r["n"], t), {}).setdefault(col, []).append(r["median"])
        best.setdefault((r["n"], t), {}).setdefault(col, []).append(r["max"])
        cpu.setdefault((r["n"], t), {}).setdefault(col, []).append(r.get("cpu_median", float("nan")))
cols = sorted({c for v in med.values() for c in v}, key=lambda c: (not c.startswith("nd4j"), c))
print("| n | threads | " + " | ".join(cols) + " |")
print("|---|---|" + "---|" * len(cols))
for key in sorted(med):
    cells = ["%.0f / %.0f / **%.0f**" % (statistics.median(med[key][c]), max(best[key][c]),
                                         statistics.median(cpu[key][c]))
             if c in med[key] else "-" for c in cols]
    print("| %d | %d | %s |" % (key[0], key[1], " | ".join(cells)))
print("\nGFLOP/s: wall-clock median over rounds of each run's median / best single repeat of all"
      " rounds / **GFLOP per CPU-second of the process** (median; all threads' CPU time counted:"
      " on a busy machine the contention-robust number, for 2 threads it is per-core efficiency)."
      "\nLoad averages (1/5/15 min) at each round start and at the end: " + "; ".join(loads))
if train:
    print("\n| TrainCheck | threads | float-vs-double ops max rel err | loss first -> last | ms/step | ok |")
    print("|---|---|---|---|---|---|")
    for d in train:
        print("| %s | %d | %.2g | %.3f -> %.5f | %.1f | %s |" % (
            d["label"], d["threads"], d["ops_max_rel_err"], d["loss_first"], d["loss_last"],
            d["ms_per_step"], "yes" if d["ok"] else "**NO**"))
EOF
if [ -n "$TRAIN_FAILED" ]; then echo "TrainCheck FAILED for:$TRAIN_FAILED" >&2; exit 1; fi
