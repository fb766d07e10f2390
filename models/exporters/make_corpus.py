#!/usr/bin/env python3
"""The exporter corpus: ternary models written the ways users write them, for trit's import tests.

    models/py models/exporters/make_corpus.py OUT_DIR [--quick]

Writes OUT_DIR/<name>.onnx and OUT_DIR/corpus.json (one entry per file: its kind, inputs, states,
and how it was made). Nothing here is trit's own exporter: the LM is upstream's BitLinear written
out verbatim (ridgerchu/matmulfreellm, mmfreelm/ops/bitnet.py: run-time abs-mean weight
quantization, abs-max activation quantization, straight-through `x + (q - x).detach()`), the GLU
uses `chunk`, the activations `F.silu` and `torch.sigmoid`, the lower bounds `cumsum(softmax)`, and
torch.onnx.export writes every opset torch 1.13 supports from 13 up, with and without constant
folding. Beside them: the same decode step written by hand with onnx.helper (opset 13), and
nn.Linear MLP classifiers with a custom ternary quantizer. Widths are odd, even and not multiples
of 16. Weights are random (seeded): the files test import, not quality.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper


# ---- upstream's BitLinear, verbatim in its math (mmfreelm/ops/bitnet.py) ------------------------

def activation_quant(x):
    scale = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5)
    return (x * scale).round().clamp_(-128, 127) / scale


def weight_quant(w):
    scale = 1.0 / w.abs().mean().clamp_(min=1e-5)
    return (w * scale).round().clamp_(-1, 1) / scale


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class BitLinear(nn.Linear):
    def __init__(self, i, o):
        super().__init__(i, o, bias=False)
        self.norm = RMSNorm(i, eps=1e-8)

    def forward(self, x):
        w = self.weight
        x_norm = self.norm(x)
        x_quant = x_norm + (activation_quant(x_norm) - x_norm).detach()
        w_quant = w + (weight_quant(w) - w).detach()
        return F.linear(x_quant, w_quant)


class Block(nn.Module):
    def __init__(self, d, inter):
        super().__init__()
        self.attn_norm = RMSNorm(d)
        self.i_proj, self.f_proj, self.g_proj, self.o_proj = (BitLinear(d, d) for _ in range(4))
        self.g_norm = RMSNorm(d)
        self.mlp_norm = RMSNorm(d)
        self.gate_proj = BitLinear(d, 2 * inter)
        self.down_proj = BitLinear(inter, d)

    def forward(self, x, h, lb, first):
        a = self.attn_norm(x)
        f = torch.sigmoid(self.f_proj(a))
        if not first:
            f = lb + (1 - lb) * f
        i = F.silu(self.i_proj(a)) * (1 - f)
        h = f * h + i
        o = self.o_proj(self.g_norm(self.g_proj(a)) * F.silu(h))
        s = o + x
        gate, up = self.gate_proj(self.mlp_norm(s)).chunk(2, -1)
        return s + self.down_proj(F.silu(gate) * up), h


class DecodeStep(nn.Module):
    """ids [1] + one state [1, d] per layer → logits [1, V] + new states."""

    def __init__(self, vocab, d, inter, layers):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, d)
        self.lower_bounds = nn.Parameter(torch.randn(layers, d))
        self.layers = nn.ModuleList(Block(d, inter) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.lm_head = BitLinear(d, vocab)

    def forward(self, ids, *states):
        lb = self.lower_bounds.softmax(0).cumsum(0)
        lb = lb - lb[0]
        x = self.embeddings(ids)
        new = []
        for n, layer in enumerate(self.layers):
            x, h = layer(x, states[n], lb[n], n == 0)
            new.append(h)
        return (self.lm_head(self.norm(x)), *new)


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name == "lower_bounds":
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 if "embeddings" in name else 0.05))
    return model.eval()


def export_lm(out, name, vocab, d, inter, layers, opset, fold, seed):
    m = randomize(DecodeStep(vocab, d, inter, layers), seed)
    ids = torch.tensor([3])
    states = tuple(torch.zeros(1, d) for _ in range(layers))
    names_in = ["input_ids"] + [f"state.{n}" for n in range(layers)]
    names_out = ["logits"] + [f"new_state.{n}" for n in range(layers)]
    torch.onnx.export(m, (ids, *states), os.path.join(out, name + ".onnx"), opset_version=opset,
                      do_constant_folding=fold, input_names=names_in, output_names=names_out)
    return {"kind": "lm", "vocab": vocab, "d": d, "layers": layers, "ids": "input_ids",
            "states": [[f"state.{n}", f"new_state.{n}"] for n in range(layers)], "logits": "logits",
            "how": f"torch {torch.__version__} onnx.export, opset {opset}, do_constant_folding={fold}; upstream BitLinear, d {d}, I {inter}, {layers} layers"}


# ---- nn.Linear MLP with a custom ternary quantizer ------------------------------------------

class TernaryLinear(nn.Linear):
    """Another common spelling: a per-output-row threshold quantizer (0.7·mean|W|, TWN-style) and
    a per-tensor abs-max int8 activation, through torch.where."""

    def forward(self, x):
        w = self.weight
        delta = 0.7 * w.abs().mean()
        t = torch.where(w > delta, torch.ones_like(w), torch.where(w < -delta, -torch.ones_like(w), torch.zeros_like(w)))
        alpha = (w.abs() * t.abs()).sum() / t.abs().sum()
        s = 127.0 / x.abs().max().clamp(min=1e-5)
        xq = torch.clamp(torch.round(x * s), -127, 127) / s
        return F.linear(xq, t * alpha, self.bias)


class MLP(nn.Module):
    def __init__(self, d_in, hidden, classes):
        super().__init__()
        self.fc1 = TernaryLinear(d_in, hidden)
        self.fc2 = TernaryLinear(hidden, hidden)
        self.out = TernaryLinear(hidden, classes)

    def forward(self, image):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(image)))))


def export_mlp(out, name, d_in, hidden, classes, opset, fold, seed):
    torch.manual_seed(seed)
    m = MLP(d_in, hidden, classes).eval()
    torch.onnx.export(m, (torch.rand(1, d_in),), os.path.join(out, name + ".onnx"), opset_version=opset,
                      do_constant_folding=fold, input_names=["image"], output_names=["logits"])
    return {"kind": "classifier", "input": "image", "d_in": d_in, "logits": "logits",
            "how": f"torch {torch.__version__} onnx.export, opset {opset}, do_constant_folding={fold}; nn.Linear + threshold ternary quantizer with bias, {d_in}-{hidden}-{hidden}-{classes}"}


# ---- the decode step written by hand with onnx.helper (opset 13) -----------------------------

class Hand:
    def __init__(self):
        self.nodes, self.inits, self.k = [], [], 0

    def name(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def init(self, base, arr):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op, ins, out=None, **attrs):
        out = out or self.name(op)
        self.nodes.append(helper.make_node(op, ins, [out], name=self.name(op + "_node"), **attrs))
        return out

    def f(self, v):
        return self.init("c", np.array(v, dtype=np.float32))

    def rms(self, x, g, eps=1e-6):
        ms = self.op("ReduceMean", [self.op("Mul", [x, x])], axes=[-1], keepdims=1)
        return self.op("Mul", [self.op("Div", [x, self.op("Sqrt", [self.op("Add", [ms, self.f(eps)])])]), self.init("g", g)])

    def bitlinear(self, x, w, g):
        """Mul(y, s) → Round → Clip → MatMul(q, Cast(int8 W)) → Div(acc, Mul(s, sw))."""
        y = self.rms(x, g)
        s = self.op("Div", [self.f(127.0), self.op("Max", [self.op("ReduceMax", [self.op("Abs", [y])], axes=[-1], keepdims=1), self.f(1e-5)])])
        q = self.op("Clip", [self.op("Round", [self.op("Mul", [y, s])]), self.f(-128.0), self.f(127.0)])
        sw = 1.0 / max(float(np.abs(w).mean()), 1e-5)
        t = np.clip(np.round(w * sw), -1, 1).astype(np.int8).T  # [in, out]
        wq = self.op("Cast", [self.init("w", t)], to=TensorProto.FLOAT)
        acc = self.op("MatMul", [q, wq])
        return self.op("Div", [acc, self.op("Mul", [s, self.f(sw)])])

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])


def export_hand(out, name, vocab, d, inter, layers, seed):
    rs = np.random.RandomState(seed)
    h = Hand()
    w = lambda o, i: (rs.randn(o, i) * 0.05).astype(np.float32)  # noqa: E731
    g = lambda n: (1 + 0.1 * rs.randn(n)).astype(np.float32)  # noqa: E731
    emb = rs.randn(vocab, d).astype(np.float32)
    x = h.op("Gather", [h.init("embeddings", emb), "input_ids"])
    lbs = rs.rand(layers, d).astype(np.float32) * 0.5
    outs = []
    for n in range(layers):
        a = h.rms(x, g(d))
        f = h.op("Sigmoid", [h.bitlinear(a, w(d, d), g(d))])
        if n > 0:  # lower bound as a constant Add/Sub/Mul chain: lb + (1 - lb)·f
            lb = h.op("Mul", [h.init("lb", lbs[n]), h.f(1.0)])
            f = h.op("Add", [lb, h.op("Mul", [h.op("Sub", [h.f(1.0), lb]), f])])
        i = h.op("Mul", [h.silu(h.bitlinear(a, w(d, d), g(d))), h.op("Sub", [h.f(1.0), f])])
        hs = h.op("Add", [h.op("Mul", [f, f"state.{n}"]), i], f"new_state.{n}")
        outs.append(hs)
        o = h.bitlinear(h.op("Mul", [h.rms(h.bitlinear(a, w(d, d), g(d)), g(d)), h.silu(hs)]), w(d, d), g(d))
        s = h.op("Add", [o, x])
        gu = h.bitlinear(h.rms(s, g(d)), w(2 * inter, d), g(d))
        gate = h.op("Slice", [gu, h.init("st", np.array([0], np.int64)), h.init("en", np.array([inter], np.int64)), h.init("ax", np.array([-1], np.int64))])
        up = h.op("Slice", [gu, h.init("st", np.array([inter], np.int64)), h.init("en", np.array([2 * inter], np.int64)), h.init("ax", np.array([-1], np.int64))])
        x = h.op("Add", [s, h.bitlinear(h.op("Mul", [h.silu(gate), up]), w(d, inter), g(inter))])
    h.bitlinear(h.rms(x, g(d)), w(vocab, d), g(d))
    h.nodes[-1].output[0] = "logits"
    ins = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1])]
    ins += [helper.make_tensor_value_info(f"state.{n}", TensorProto.FLOAT, [1, d]) for n in range(layers)]
    outv = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, vocab])]
    outv += [helper.make_tensor_value_info(f"new_state.{n}", TensorProto.FLOAT, [1, d]) for n in range(layers)]
    model = helper.make_model(helper.make_graph(h.nodes, name, ins, outv, h.inits), producer_name="onnx.helper by hand",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    return {"kind": "lm", "vocab": vocab, "d": d, "layers": layers, "ids": "input_ids",
            "states": [[f"state.{n}", f"new_state.{n}"] for n in range(layers)], "logits": "logits",
            "how": f"onnx.helper by hand, opset 13: RMSNorm as ReduceMean/Sqrt/Div, BitLinear as Round/Clip/MatMul(Cast int8), d {d}, I {inter}, {layers} layers"}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--quick", action="store_true", help="one torch LM per opset only with folding (for fast checks)")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    corpus = {}
    for opset in range(13, 18):
        for fold in ([True] if args.quick else [True, False]):
            name = f"torch-lm-op{opset}-{'fold' if fold else 'nofold'}"
            corpus[name] = export_lm(args.out, name, 61, 48, 96, 2, opset, fold, seed=opset)
    corpus["torch-lm-d37-i75"] = export_lm(args.out, "torch-lm-d37-i75", 50, 37, 75, 3, 17, True, seed=5)
    corpus["torch-lm-d100-i200"] = export_lm(args.out, "torch-lm-d100-i200", 97, 100, 200, 2, 14, False, seed=6)
    corpus["hand-lm-d48"] = export_hand(args.out, "hand-lm-d48", 61, 48, 96, 2, seed=7)
    corpus["hand-lm-d33-i70"] = export_hand(args.out, "hand-lm-d33-i70", 40, 33, 70, 3, seed=8)
    corpus["torch-mlp-op13-fold"] = export_mlp(args.out, "torch-mlp-op13-fold", 196, 50, 10, 13, True, seed=9)
    corpus["torch-mlp-op17-nofold"] = export_mlp(args.out, "torch-mlp-op17-nofold", 64, 31, 7, 17, False, seed=10)
    with open(os.path.join(args.out, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=1)
    print(f"wrote {len(corpus)} models to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
