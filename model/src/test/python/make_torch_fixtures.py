#!/usr/bin/env python3
"""Writes the PyTorch cross-check fixtures of TorchCrossCheckTest (model/src/test/resources/torch/).

An independent implementation of the same Transformer (Vaswani et al. 2017) built from PyTorch's
nn.TransformerEncoderLayer / nn.TransformerDecoderLayer in float64: shared embedding matrix E
(source, target, pre-softmax projection), embeddings * sqrt(d_model) + sinusoidal positions,
post-norm (the paper) or pre-norm (norm_first=True plus a final LayerNorm per stack), ReLU FFN,
LayerNorm eps 1e-5, no dropout. Random weights (seeded) are exported in sparknmt's layout
(vertex name / parameter name; our linear weights are [in, out] = torch's weight.T) together with a
padded batch and the logits [B, T, V] PyTorch computes. CI does not need PyTorch: the JSON files
are committed.

Run: /work/shared/peers/torch_peer.sh model/src/test/python/make_torch_fixtures.py
     (or any python3 with torch >= 1.12; tested with Debian python3-torch 1.13.1)
"""
import json
import math
import os
import sys

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "torch")


def positional_encoding(length, d):
    pe = torch.zeros(length, d, dtype=torch.float64)
    for pos in range(length):
        for i in range(0, d, 2):
            angle = pos / (10000.0 ** (i / d))
            pe[pos, i] = math.sin(angle)
            if i + 1 < d:
                pe[pos, i + 1] = math.cos(angle)
    return pe


class Model(nn.Module):
    def __init__(self, v, d, h, n, ff, pre):
        super().__init__()
        self.d = d
        self.emb = nn.Parameter(torch.randn(v, d, dtype=torch.float64) * d ** -0.5)
        kw = dict(dim_feedforward=ff, dropout=0.0, activation="relu", batch_first=True,
                  norm_first=pre, layer_norm_eps=1e-5, dtype=torch.float64)
        self.enc = nn.ModuleList([nn.TransformerEncoderLayer(d, h, **kw) for _ in range(n)])
        self.dec = nn.ModuleList([nn.TransformerDecoderLayer(d, h, **kw) for _ in range(n)])
        self.enc_norm = nn.LayerNorm(d, eps=1e-5, dtype=torch.float64) if pre else None
        self.dec_norm = nn.LayerNorm(d, eps=1e-5, dtype=torch.float64) if pre else None
        for p in self.parameters():  # non-trivial LayerNorm and bias values
            if p.dim() == 1:
                nn.init.normal_(p, mean=0.0, std=0.2)
            elif p is not self.emb:
                nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                nn.init.normal_(m.weight, mean=1.0, std=0.2)

    def embed(self, ids):
        return self.emb[ids] * math.sqrt(self.d) + positional_encoding(ids.shape[1], self.d)

    def forward(self, src, tgt, src_pad, tgt_pad):
        x = self.embed(src)
        for layer in self.enc:
            x = layer(x, src_key_padding_mask=src_pad)
        if self.enc_norm is not None:
            x = self.enc_norm(x)
        t = tgt.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf"), dtype=torch.float64), diagonal=1)
        y = self.embed(tgt)
        for layer in self.dec:
            y = layer(y, x, tgt_mask=causal, tgt_key_padding_mask=tgt_pad,
                      memory_key_padding_mask=src_pad)
        if self.dec_norm is not None:
            y = self.dec_norm(y)
        return y @ self.emb.T


def lin(w):  # torch y = x W^T + b  ->  ours y = x W + b
    return w.detach().T.contiguous().tolist()


def vec(b):
    return b.detach().tolist()


def export(m, pre):
    d = m.d
    w = {"output/E": m.emb.detach().tolist()}  # the output layer owns the shared matrix

    def attention(name, att, norm):
        q, k, v = att.in_proj_weight.split(d, dim=0)
        bq, bk, bv = att.in_proj_bias.split(d)
        w.update({name + "/Wq": lin(q), name + "/Wk": lin(k), name + "/Wv": lin(v),
                  name + "/bq": vec(bq), name + "/bk": vec(bk), name + "/bv": vec(bv),
                  name + "/Wo": lin(att.out_proj.weight), name + "/bo": vec(att.out_proj.bias),
                  name + "/gamma": vec(norm.weight), name + "/beta": vec(norm.bias)})

    def ffn(name, layer, norm):
        w.update({name + "/W1": lin(layer.linear1.weight), name + "/b1": vec(layer.linear1.bias),
                  name + "/W2": lin(layer.linear2.weight), name + "/b2": vec(layer.linear2.bias),
                  name + "/gamma": vec(norm.weight), name + "/beta": vec(norm.bias)})

    for i, layer in enumerate(m.enc):
        attention("enc%d_self" % i, layer.self_attn, layer.norm1)
        ffn("enc%d_ffn" % i, layer, layer.norm2)
    for i, layer in enumerate(m.dec):
        attention("dec%d_self" % i, layer.self_attn, layer.norm1)
        attention("dec%d_cross" % i, layer.multihead_attn, layer.norm2)
        ffn("dec%d_ffn" % i, layer, layer.norm3)
    if pre:
        w.update({"enc_norm/gamma": vec(m.enc_norm.weight), "enc_norm/beta": vec(m.enc_norm.bias),
                  "dec_norm/gamma": vec(m.dec_norm.weight), "dec_norm/beta": vec(m.dec_norm.bias)})
    return w


def main():
    v, d, h, n, ff = 11, 8, 2, 2, 16
    # source = x1..xm </s>, decoder input = <s> y1..yn, padded with 0
    src = torch.tensor([[5, 6, 7, 8, 2], [9, 4, 2, 0, 0]])
    tgt = torch.tensor([[1, 10, 4, 6, 5, 7], [1, 8, 8, 0, 0, 0]])
    src_mask, tgt_mask = (src != 0).long(), (tgt != 0).long()
    os.makedirs(OUT, exist_ok=True)
    for pre in (False, True):
        torch.manual_seed(2017 + pre)
        m = Model(v, d, h, n, ff, pre).eval()
        with torch.no_grad():
            logits = m(src, tgt, src_mask == 0, tgt_mask == 0)
        name = "prenorm" if pre else "postnorm"
        doc = {"generator": "model/src/test/python/make_torch_fixtures.py",
               "torch": torch.__version__,
               "config": {"vocabSize": v, "dModel": d, "heads": h, "layers": n, "dFF": ff,
                          "preNorm": pre, "tiedEmbeddings": True},
               "src": src.tolist(), "tgt": tgt.tolist(),
               "srcMask": src_mask.tolist(), "tgtMask": tgt_mask.tolist(),
               "weights": export(m, pre), "logits": logits.tolist()}
        path = os.path.join(OUT, "logits-%s.json" % name)
        with open(path, "w") as f:
            json.dump(doc, f)
        print("wrote", path, file=sys.stderr)


if __name__ == "__main__":
    main()
