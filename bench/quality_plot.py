#!/usr/bin/env python3
"""Dev loss per epoch of sparknmt runs against the PyTorch recipe (issue 11), as one SVG.

Usage: bench/quality_plot.py [--per-word OURS_TOKENS,PEER_TOKENS,WORDS] OUT.svg PEER_METRICS.jsonl
           LABEL=RUN_REPORT_METRICS.jsonl[@DEV_TOKENS] [LABEL=...]
  RUN_REPORT_METRICS: <run>/report/metrics.jsonl (records with devLoss, epoch from 0)
  PEER_METRICS: docs/quality/torch-nmt-metrics.jsonl (dev_loss_ls, epoch from 1)
  --per-word: the two BPE models cut the dev set into different numbers of target tokens, so a loss
    per token is not comparable across them; this converts both to nats per reference word
    (loss x dev target tokens / dev words; ours, the peer's, and the words of dev.es). A run
    whose BPE model cuts the dev set into another number of tokens gives it after its path (@N).
Standard library only. Prints the series as a table too.
"""
import json
import sys


def ours(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        if "devLoss" in r and r.get("split") is not None:
            out[r["epoch"] + 1] = r["devLoss"]  # the last validation of an epoch wins
    return out


def peer(path):
    return {r["epoch"]: r["dev_loss_ls"] for r in map(json.loads, open(path))}


def svg(series, out):
    w, h, m = 720, 420, 60
    xs = [e for s in series.values() for e in s]
    ys = [v for s in series.values() for v in s.values()]
    x0, x1 = 1, max(xs)
    y0, y1 = min(ys) * 0.95, max(ys) * 1.05
    def px(e):
        return m + (e - x0) / max(1, x1 - x0) * (w - 2 * m)
    def py(v):
        return h - m - (v - y0) / (y1 - y0) * (h - 2 * m)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w/2}" y="24" text-anchor="middle" font-size="15">'
             f'{TITLE}</text>',
             f'<line x1="{m}" y1="{h-m}" x2="{w-m}" y2="{h-m}" stroke="black"/>',
             f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h-m}" stroke="black"/>',
             f'<text x="{w/2}" y="{h-15}" text-anchor="middle">epoch</text>']
    for e in range(x0, x1 + 1):
        parts.append(f'<text x="{px(e)}" y="{h-m+18}" text-anchor="middle">{e}</text>')
    for i in range(6):
        v = y0 + (y1 - y0) * i / 5
        parts.append(f'<text x="{m-8}" y="{py(v)+4}" text-anchor="end">{v:.2f}</text>')
        parts.append(f'<line x1="{m}" y1="{py(v)}" x2="{w-m}" y2="{py(v)}" stroke="#ddd"/>')
    colors = ["#d62728", "#1f77b4", "#7f7f7f", "#2ca02c", "#9467bd"]
    for (name, s), c, k in zip(series.items(), colors, range(len(series))):
        pts = " ".join(f"{px(e)},{py(v)}" for e, v in sorted(s.items()))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for e, v in s.items():
            parts.append(f'<circle cx="{px(e)}" cy="{py(v)}" r="3" fill="{c}"/>')
        parts.append(f'<text x="{w-m-200}" y="{m+20*k}" fill="{c}">{name}</text>')
    parts.append("</svg>")
    open(out, "w").write("\n".join(parts))


TITLE = "Dev loss (label-smoothed, per target token) per epoch"


def main():
    global TITLE
    args = sys.argv[1:]
    scale_ours = scale_peer = 1.0
    words = None
    if args[0] == "--per-word":
        ours_tokens, peer_tokens, words = (float(x) for x in args[1].split(","))
        scale_ours, scale_peer = ours_tokens / words, peer_tokens / words
        TITLE = "Dev loss (label-smoothed) per reference word, per epoch"
        args = args[2:]
    out, peer_path = args[0], args[1]
    series = {"PyTorch recipe (torch-nmt)": {e: v * scale_peer for e, v in peer(peer_path).items()}}
    for spec in args[2:]:
        label, path = spec.split("=", 1)
        scale = scale_ours
        if "@" in path:
            path, tokens = path.rsplit("@", 1)
            scale = float(tokens) / words if words else 1.0
        series[label] = {e: v * scale for e, v in ours(path).items()}
    svg(series, out)
    epochs = sorted(set().union(*series.values()))
    print("| epoch | " + " | ".join(series) + " |")
    print("|---|" + "---|" * len(series))
    for e in epochs:
        cells = [f"{s[e]:.3f}" if e in s else "" for s in series.values()]
        print(f"| {e} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
