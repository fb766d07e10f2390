"""Quantized columns: cortical columns of excitatory/inhibitory ternary layers joined by a learned
small-world graph with Hebbian plasticity — an MNIST classifier.

Per column c (all linear layers are BitLinears: ternary weights, int8 activations):
    exc_c = relu(E_c x);  inh_c = sigmoid(I_c x);  a_c = exc_c ⊙ (1 − r·inh_c)
    a_c   = dropout(LayerNorm(P_c a_c))               (P_c: a projection, only when widths differ)
Columns talk over a Watts–Strogatz small-world graph (mask A, fixed at init) with learned edge
weights W (backprop, plus a Hebbian update after each step: co-active columns strengthen, an
anti-Hebbian decay term, bounded by tanh). Message passing, T rounds with decay δ:
    m⁰ = a;  mᵗ⁺¹ = relu(δ·mᵗ + (A ⊙ W) mᵗ)   (mixing over the column axis)
Homeostatic scaling keeps each column's mean activity near a target: a running gain h_c.
Readout: mean over columns of h_c·m^T_c → intermediate BitLinear + relu → classifier BitLinear.

Optional attention gates (float model only) multiply each edge by sigmoid(q_c·k_j), a function of
the input. The ternary export cannot keep a data-dependent gate without a matrix product of two
activations, so it folds each gate to its mean over the calibration images (`gate_means`); the
accuracy this costs is measured and reported by `train_columns.py`.

Inference needs from the graph only constants: (A ⊙ W), δ and h — folded at export.
"""
import math
import random
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .quant import BitLinear


def watts_strogatz(n: int, k: int, p: float, seed: int) -> torch.Tensor:
    """Adjacency [n, n] (no self loops, symmetric) of a Watts–Strogatz graph: a ring lattice with
    k nearest neighbours, each edge rewired with probability p."""
    rnd = random.Random(seed)
    adj = torch.zeros(n, n)
    for i in range(n):
        for j in range(1, k // 2 + 1):
            adj[i, (i + j) % n] = adj[(i + j) % n, i] = 1
    for i in range(n):
        for j in range(1, k // 2 + 1):
            t = (i + j) % n
            if rnd.random() < p and adj[i, t]:
                choices = [c for c in range(n) if c != i and not adj[i, c]]
                if choices:
                    c = rnd.choice(choices)
                    adj[i, t] = adj[t, i] = 0
                    adj[i, c] = adj[c, i] = 1
    return adj


class Column(nn.Module):
    def __init__(self, d_in: int, width: int, dim: int, dropout: float):
        super().__init__()
        self.exc = BitLinear(d_in, width)
        self.inh = BitLinear(d_in, width)
        self.r = nn.Parameter(torch.tensor(0.5))
        self.proj = BitLinear(width, dim) if width != dim else None
        self.ln = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        a = F.relu(self.exc(x)) * (1 - self.r * torch.sigmoid(self.inh(x)))
        if self.proj is not None:
            a = self.proj(a)
        return self.drop(self.ln(a))


class QuantizedColumns(nn.Module):
    def __init__(self, columns: int = 8, width: int = 64, dim: int = 64, hidden: int = 128, classes: int = 10, d_in: int = 784,
                 k: int = 4, rewire: float = 0.2, rounds: int = 2, decay: float = 0.5, dropout: float = 0.1,
                 hebb_rate: float = 0.01, anti_hebb: float = 0.1, homeo_target: float = 1.0, homeo_momentum: float = 0.99,
                 attention: bool = False, seed: int = 0):
        super().__init__()
        self.hparams = dict(columns=columns, width=width, dim=dim, hidden=hidden, classes=classes, d_in=d_in, k=k, rewire=rewire,
                            rounds=rounds, decay=decay, dropout=dropout, hebb_rate=hebb_rate, anti_hebb=anti_hebb,
                            homeo_target=homeo_target, homeo_momentum=homeo_momentum, attention=attention, seed=seed)
        self.cols = nn.ModuleList([Column(d_in, width, dim, dropout) for _ in range(columns)])
        self.register_buffer("adjacency", watts_strogatz(columns, min(k, columns - 1 - (columns - 1) % 2), rewire, seed))
        self.edges = nn.Parameter(0.1 * torch.randn(columns, columns) * self.adjacency)
        self.register_buffer("homeo_gain", torch.ones(columns))
        self.register_buffer("activity", torch.full((columns,), homeo_target))
        if attention:
            self.q = nn.Linear(dim, 16, bias=False)
            self.k = nn.Linear(dim, 16, bias=False)
            self.register_buffer("gate_means", torch.ones(columns, columns))
        self.intermediate = BitLinear(dim, hidden)
        self.classifier = BitLinear(hidden, classes)
        self._coactivity: Optional[torch.Tensor] = None
        self.use_gate_means = False

    def mixing(self, m: torch.Tensor) -> torch.Tensor:
        """(A ⊙ W), or its gated version [B, C, C] when attention is on."""
        w = self.adjacency * self.edges
        if not self.hparams["attention"]:
            return w
        if self.use_gate_means:
            return w * self.gate_means
        g = torch.sigmoid(torch.einsum("bch,bjh->bcj", self.q(m), self.k(m)) / 4.0)
        return w * g

    def forward(self, x: torch.Tensor, record: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
        a = torch.stack([c(x) for c in self.cols], dim=1)              # [B, C, dim]
        m = a
        for _ in range(self.hparams["rounds"]):
            w = self.mixing(m)
            mixed = torch.einsum("cj,bjd->bcd", w, m) if w.dim() == 2 else torch.einsum("bcj,bjd->bcd", w, m)
            m = F.relu(self.hparams["decay"] * m + mixed)
        act = m.abs().mean(dim=(0, 2))                                  # per-column activity
        if self.training:
            with torch.no_grad():
                mom = self.hparams["homeo_momentum"]
                self.activity.mul_(mom).add_((1 - mom) * act.detach())
                self.homeo_gain.copy_(self.hparams["homeo_target"] / self.activity.clamp(min=1e-3))
                z = m.detach().mean(dim=2)                              # [B, C] column activations
                z = (z - z.mean(0)) / (z.std(0) + 1e-5)
                self._coactivity = (z.t() @ z) / z.shape[0]             # correlation [C, C]
        pooled = (m * self.homeo_gain.view(1, -1, 1)).mean(dim=1)       # [B, dim]
        if record is not None:
            record["pooled"] = pooled
        return self.classifier(F.relu(self.intermediate(pooled)))

    @torch.no_grad()
    def hebbian_update(self):
        """After an optimizer step: W ← tanh(W + η·(C − λ·W)) on the graph's edges, C the columns'
        co-activity (correlation) of the last batch: co-active columns strengthen, −λW decays."""
        if self._coactivity is None:
            return
        h = self.hparams
        upd = self.edges + h["hebb_rate"] * (self._coactivity - h["anti_hebb"] * self.edges)
        self.edges.copy_(torch.tanh(upd) * self.adjacency)

    @torch.no_grad()
    def fold_gates(self, images: torch.Tensor):
        """Attention gates → their mean over `images` (what the ternary export can keep)."""
        if not self.hparams["attention"]:
            return
        was = self.training
        self.eval()
        a = torch.stack([c(images) for c in self.cols], dim=1)
        g = torch.sigmoid(torch.einsum("bch,bjh->bcj", self.q(a), self.k(a)) / 4.0)
        self.gate_means.copy_(g.mean(0))
        self.use_gate_means = True
        self.train(was)

    def infer(self, images: torch.Tensor, record=None) -> torch.Tensor:
        self.eval()
        return self.forward(images, record)

    def folded_mixing(self) -> torch.Tensor:
        """The constant [C, C] mixing matrix the exported model uses."""
        w = self.adjacency * self.edges
        if self.hparams["attention"]:
            w = w * self.gate_means
        return w.detach()

    def ternary_weight_count(self) -> int:
        return sum(m.weight.numel() for m in self.modules() if isinstance(m, BitLinear))
