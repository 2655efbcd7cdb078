#!/usr/bin/python3
"""PyTorch peer for the DL4J Translator: beam-search decoding throughput of the same Transformer as
torch_transformer_train.py (post-norm, no final stack LayerNorm, tied embeddings, sinusoidal
positions, ReLU FFN), random weights, CPU only, eval mode, torch.inference_mode().

The decoder is incremental like fairseq's (incremental_state): each decoder layer's encoder-decoder
keys/values are projected once per batch; self-attention keys/values are written into a
preallocated cache [B*k, h, max_len, d_k] one position per step and reordered by index_select when
beams are re-ranked; each step runs only the newest position. Beam search keeps k hypotheses per
sentence (top k over k*V candidates of cumulative log-probabilities, only beam 0 live at step 0).
<pad>, <s> and </s> get log-prob -inf, so every run generates exactly --steps tokens per hypothesis
(the same fixed work as DecodeThroughputBench, whose </s> never ranks high enough to finish).

--verify first checks the incremental decoder against the full nn.TransformerDecoder on a
teacher-forced prefix (max abs log-prob difference printed in the JSON).

Prints ONE JSON line on stdout: tokens_per_s (generated tokens of the best hypothesis per sentence
per second, i.e. B*steps per batch), sentences_per_s, ms_per_batch, peak_rss_mb (VmHWM).
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blasinfo  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--d-model", type=int, default=64)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--ff", type=int, default=256)
ap.add_argument("--vocab", type=int, default=8000)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--src-len", type=int, default=24, help="source tokens before </s>")
ap.add_argument("--steps", type=int, default=30, help="generated tokens per hypothesis")
ap.add_argument("--beam", type=int, default=4)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--warmup", type=int, default=1)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--verify", action="store_true")
ap.add_argument("--label", default="")
args = ap.parse_args()

blasinfo.set_thread_env(args.threads)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
torch.manual_seed(args.seed)
PAD, BOS, EOS, FIRST = 0, 1, 2, 3


def sinusoids(n, d):
    pos = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class Model(nn.Module):
    """torch_transformer_train.py's NMTTransformer with --tie all, dropout 0."""

    def __init__(self, a):
        super().__init__()
        d = a.d_model
        self.d, self.h = d, a.heads
        self.scale = math.sqrt(d)
        self.emb = nn.Embedding(a.vocab, d, padding_idx=PAD)
        nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
        enc = nn.TransformerEncoderLayer(d, a.heads, a.ff, 0.0, batch_first=True, norm_first=False)
        dec = nn.TransformerDecoderLayer(d, a.heads, a.ff, 0.0, batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(enc, a.layers, norm=None, enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(dec, a.layers, norm=None)
        for p in list(self.encoder.parameters()) + list(self.decoder.parameters()):
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        self.register_buffer("pe", sinusoids(1024, d), persistent=False)

    def embed(self, ids, start=0):
        return self.emb(ids) * self.scale + self.pe[start:start + ids.size(1)].unsqueeze(0)

    def encode(self, src, src_pad):
        return self.encoder(self.embed(src), src_key_padding_mask=src_pad)

    def full_logp(self, mem, src_pad, tgt_in):  # reference for --verify
        T = tgt_in.size(1)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        y = self.decoder(self.embed(tgt_in), mem, tgt_mask=causal, memory_key_padding_mask=src_pad)
        return F.log_softmax(y @ self.emb.weight.t(), dim=-1)


class IncrementalDecoder:
    """Cached decoding with the weights of model.decoder (post-norm layers)."""

    def __init__(self, model, mem, src_pad, max_len):
        self.m = model
        self.d, self.h = model.d, model.h
        self.dk = self.d // self.h
        n = mem.size(0)
        self.t = 0
        self.bias = torch.zeros(n, 1, 1, mem.size(1)).masked_fill(src_pad[:, None, None, :], float("-inf"))
        self.mem_kv, self.k, self.v = [], [], []
        for layer in model.decoder.layers:
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            km = self.heads(F.linear(mem, w[self.d:2 * self.d], b[self.d:2 * self.d]))
            vm = self.heads(F.linear(mem, w[2 * self.d:], b[2 * self.d:]))
            self.mem_kv.append((km, vm))
            self.k.append(torch.zeros(n, self.h, max_len, self.dk))
            self.v.append(torch.zeros(n, self.h, max_len, self.dk))

    def heads(self, x):  # [N, L, d] -> [N, h, L, d_k]
        return x.view(x.size(0), x.size(1), self.h, self.dk).transpose(1, 2)

    def attend(self, q, k, v, bias, mha):
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.dk)
        if bias is not None:
            s = s + bias
        ctx = (s.softmax(-1) @ v).transpose(1, 2).reshape(q.size(0), 1, self.d)
        return F.linear(ctx, mha.out_proj.weight, mha.out_proj.bias)

    def step(self, last):
        """log-probs [N, V] of the next token after tokens `last` [N] at position self.t."""
        t = self.t
        x = self.m.embed(last[:, None], t)
        for i, layer in enumerate(self.m.decoder.layers):
            sa = layer.self_attn
            q, k, v = F.linear(x, sa.in_proj_weight, sa.in_proj_bias).chunk(3, dim=-1)
            self.k[i][:, :, t:t + 1] = self.heads(k)
            self.v[i][:, :, t:t + 1] = self.heads(v)
            a = self.attend(self.heads(q), self.k[i][:, :, :t + 1], self.v[i][:, :, :t + 1], None, sa)
            x = layer.norm1(x + a)
            ca = layer.multihead_attn
            q = F.linear(x, ca.in_proj_weight[:self.d], ca.in_proj_bias[:self.d])
            km, vm = self.mem_kv[i]
            x = layer.norm2(x + self.attend(self.heads(q), km, vm, self.bias, ca))
            x = layer.norm3(x + layer.linear2(F.relu(layer.linear1(x))))
        self.t += 1
        return F.log_softmax(x[:, 0] @ self.m.emb.weight.t(), dim=-1)

    def reorder(self, idx):
        for i in range(len(self.k)):
            self.k[i] = self.k[i].index_select(0, idx)
            self.v[i] = self.v[i].index_select(0, idx)


def beam_search(model, src, src_pad, k, steps):
    B = src.size(0)
    mem = model.encode(src, src_pad)
    rep = torch.arange(B).repeat_interleave(k)  # row = sentence*k + beam
    dec = IncrementalDecoder(model, mem.index_select(0, rep), src_pad.index_select(0, rep), steps)
    scores = torch.full((B, k), float("-inf"))
    scores[:, 0] = 0.0
    tokens = torch.full((B * k, steps), PAD, dtype=torch.long)
    last = torch.full((B * k,), BOS, dtype=torch.long)
    base = (torch.arange(B) * k).unsqueeze(1)
    V = model.emb.num_embeddings
    for t in range(steps):
        logp = dec.step(last)
        logp[:, [PAD, BOS, EOS]] = float("-inf")
        cand = (scores.view(B, k, 1) + logp.view(B, k, V)).view(B, k * V)
        scores, flat = cand.topk(k, dim=1)
        origin = (base + torch.div(flat, V, rounding_mode="floor")).view(-1)
        last = (flat % V).view(-1)
        tokens = tokens.index_select(0, origin)
        tokens[:, t] = last
        if t + 1 < steps:
            dec.reorder(origin)
    best = scores.argmax(dim=1)  # equal lengths: the length penalty does not change the order
    return tokens.view(B, k, steps)[torch.arange(B), best]


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def main():
    model = Model(args).eval()
    g = torch.Generator().manual_seed(args.seed)
    B, S = args.batch, args.src_len
    src = torch.cat([torch.randint(FIRST, args.vocab, (B, S), generator=g),
                     torch.full((B, 1), EOS, dtype=torch.long)], dim=1)
    src_pad = src == PAD
    res = {}
    with torch.inference_mode():
        if args.verify:
            mem = model.encode(src[:2], src_pad[:2])
            tgt_in = torch.cat([torch.full((2, 1), BOS), torch.randint(FIRST, args.vocab, (2, 7), generator=g)], 1)
            full = model.full_logp(mem, src_pad[:2], tgt_in)
            dec = IncrementalDecoder(model, mem, src_pad[:2], tgt_in.size(1))
            inc = torch.stack([dec.step(tgt_in[:, t]) for t in range(tgt_in.size(1))], dim=1)
            res["verify_max_abs_diff"] = float((full - inc).abs().max())
        for _ in range(args.warmup):
            beam_search(model, src, src_pad, args.beam, args.steps)
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            out = beam_search(model, src, src_pad, args.beam, args.steps)
            times.append(time.perf_counter() - t0)
    total = sum(times)
    res.update({
        "impl": "pytorch-incremental", "preset": args.label, "batch": B, "src_len": S,
        "steps": args.steps, "beam": args.beam, "reps": args.reps,
        "ms_per_batch": round(total / len(times) * 1e3, 1),
        "ms_per_batch_min": round(min(times) * 1e3, 1),
        "tokens_per_s": round(B * args.steps * len(times) / total, 1),
        "sentences_per_s": round(B * len(times) / total, 2),
        "fixed_length": bool((out > EOS).all()) and out.size(1) == args.steps,
        "peak_rss_mb": round(peak_rss_mb()), "torch": torch.__version__,
        "threads": torch.get_num_threads(), "blas": blasinfo.blas_summary()["short"],
    })
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
