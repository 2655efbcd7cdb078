#!/usr/bin/env python3
"""Summary of bench/scaling_bench.sh: one row per run, and the cost model of a round.

A parameter-averaging round of N workers moves, per worker, S = 4 B x params (x 3 with Adam's two
moments, optimizer-state-averaging = every-round, as in runs before session 11 that do not name it):
through the driver down (the broadcast) and up (the worker's result), 2 x S; by a ring all-reduce
(averaging = allreduce, session 12) 2 x (N - 1) / N x S. The model fitted here, per way of
averaging (least squares over the runs with N <= cores, where no executor waits for a core):

    overhead per round = a + b x params (fixed cost of a round + cost per byte moved)

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
        mb = mb_moved(r)
        fit = r["workerFitSeconds"] / r["rounds"]
        over = r["averagingSecondsPerRound"]
        note = "" if n <= CORES else "  (oversubscribed: efficiency not meaningful)"
        print(f"# {r['preset']:6s} {p:9d} {n:3d} {r['averagingFrequency']:5d} {r['rounds']:7d} "
              f"{r['tokensPerSec']:7.0f} {eff:6.2f} {fit:10.2f} {over:15.2f} "
              f"{r.get('initialModelSecondsPerRound', float('nan')):20.2f} {mb:22.1f} "
              f"{r.get('executorPeakRssMB', 0):21d} {r.get('driverPeakRssMB', 0):19d}{note}")
        if n <= CORES:
            fit_points.append((averaging(r), p, over, mb / p))
    for name, r in single.items():
        print(f"# single JVM {name}: {r['tokensPerSec']:.0f} tokens/s, peak RSS "
              f"{r.get('driverPeakRssMB', 0)} MB")
    for way in sorted({w for w, _, _, _ in fit_points}):
        points = [(p, o, bpp) for w, p, o, bpp in fit_points if w == way]
        if len({p for p, _, _ in points}) < 2:
            continue
        k = len(points)
        mx = sum(p for p, _, _ in points) / k
        my = sum(o for _, o, _ in points) / k
        sxx = sum((p - mx) ** 2 for p, _, _ in points)
        sxy = sum((p - mx) * (o - my) for p, o, _ in points)
        b = sxy / sxx
        a = my - b * mx
        per_mb = b / (sum(bpp for _, _, bpp in points) / k)  # s per MB
        print(f"# cost model, averaging by {way} (N <= {CORES}, {k} runs): overhead per round = "
              f"{a:.3f} s + {b * 1e6:.4f} s per million parameters ({per_mb * 1000:.2f} ms per MB "
              f"moved per worker)")


def averaging(r):
    return r.get("averaging", "driver")


def mb_moved(r):
    """MB a worker sends and receives per round (module doc)."""
    state = 3 if r.get("optimizerStateAveraging", "every-round") == "every-round" else 1
    s = state * 4 * r["params"] / 1e6
    n = r["workers"]
    return 2 * (n - 1) / n * s if averaging(r) == "allreduce" else 2 * s


if __name__ == "__main__":
    main(sys.argv[1])
