#!/usr/bin/env python3
"""Summary of bench/scaling_bench.sh: one row per run, and the cost model of a round.

A parameter-averaging round of N workers moves, per worker, the parameters and Adam's two moments
down (the broadcast) and up (the worker's result): bytes = 2 x 3 x 4 B x params. The model fitted
here (least squares over the runs with N <= cores, where no executor waits for a core):

    overhead per round = a + b x params (fixed cost of a Spark job + cost per byte moved)

Usage: scaling_summary.py results.jsonl
"""
import json
import os
import sys

CORES = os.cpu_count() or 2


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                runs.append(json.loads(line))
    return runs


def main(path):
    runs = load(path)
    single = {r["preset"]: r for r in runs if r["mode"] == "single"}
    print("# preset  params    N  freq  rounds  tok/s    eff   fit/round  overhead/round  "
          "initial model/round  MB moved/worker/round  executor peak RSS MB  driver peak RSS MB")
    fit_points = []
    for r in runs:
        if r["mode"] != "spark":
            continue
        n, p = r["workers"], r["params"]
        base = single.get(r["preset"])
        eff = r["tokensPerSec"] / (n * base["tokensPerSec"]) if base else float("nan")
        mb = 2 * 3 * 4 * p / 1e6
        fit = r["workerFitSeconds"] / r["rounds"]
        over = r["averagingSecondsPerRound"]
        note = "" if n <= CORES else "  (oversubscribed: efficiency not meaningful)"
        print(f"# {r['preset']:6s} {p:9d} {n:3d} {r['averagingFrequency']:5d} {r['rounds']:7d} "
              f"{r['tokensPerSec']:7.0f} {eff:6.2f} {fit:10.2f} {over:15.2f} "
              f"{r.get('initialModelSecondsPerRound', float('nan')):20.2f} {mb:22.1f} "
              f"{r.get('executorPeakRssMB', 0):21d} {r.get('driverPeakRssMB', 0):19d}{note}")
        if n <= CORES:
            fit_points.append((p, over))
    for name, r in single.items():
        print(f"# single JVM {name}: {r['tokensPerSec']:.0f} tokens/s, peak RSS "
              f"{r.get('driverPeakRssMB', 0)} MB")
    if len({p for p, _ in fit_points}) >= 2:
        k = len(fit_points)
        mx = sum(p for p, _ in fit_points) / k
        my = sum(o for _, o in fit_points) / k
        sxx = sum((p - mx) ** 2 for p, _ in fit_points)
        sxy = sum((p - mx) * (o - my) for p, o in fit_points)
        b = sxy / sxx
        a = my - b * mx
        per_mb = b / (2 * 3 * 4) * 1e6
        print(f"# cost model (N <= {CORES}, {k} runs): overhead per round = {a:.3f} s + "
              f"{b * 1e6:.4f} s per million parameters ({per_mb * 1000:.2f} ms per MB moved per "
              f"worker)")


if __name__ == "__main__":
    main(sys.argv[1])
