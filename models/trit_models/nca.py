"""Neural cellular automata with ternary weights: the growing NCA (Mordvintsev et al., "Growing Neural
Cellular Automata", Distill 2020, https://distill.pub/2020/growing-ca/) with trit's quantization.

One step, for every cell of a [B, C, H, W] grid (C = 16: RGBA + 12 hidden channels):

  p      = perceive(x)                  identity, Sobel-x, Sobel-y per channel → 3C features; the
                                        stencils are integers (−2 … 2): shifts and adds, no multiply
  dx     = W2 · relu(W1 · p + b1)       per cell, 3C → hidden → C; W1, W2 ternary: int8 activations
                                        (per cell, abs-max, as BitLinear) and abs-mean ternary weights,
                                        straight-through; W2 zero-initialised so a fresh NCA does nothing
  x'     = x + dx · mask                mask: each cell updates with probability `fire_rate` (0.5), drawn
                                        from a seeded generator — an input of the exported step, so every
                                        runtime applies the same mask
  x''    = x' · alive(x) · alive(x')    alive: the alpha channel's 3×3 max > 0.1 (MaxPool); dead cells
                                        are zeroed, so the pattern has a boundary

Unlike BitLinear, the layers have no RMSNorm: a norm rescales the nearly empty cells at the
pattern's edge to unit size, and the pattern then overgrew the grid in every run tried (float and
ternary, 24×24, 150 iterations: loss 0.1–1.2 against 0.07 for an empty grid). The activation
quantizer rescales back after rounding, so it keeps each cell's magnitude. Sobel is not divided by
8 as in the paper: integer stencils stay exact in every back-end, and the factor folds into W1's scale.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from trit_models.quant import activation_quant, weight_quant

CHANNELS = 16
ALPHA = 3
ALIVE_THRESHOLD = 0.1

#: identity, Sobel-x, Sobel-y (x to the right, y down); every coefficient in −2 … 2.
STENCILS = torch.tensor(
    [
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    ],
    dtype=torch.float32,
)


def perceive(x: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] → [B, 3C, H, W]: per channel c, features 3c, 3c+1, 3c+2 = identity, Sobel-x,
    Sobel-y — a depthwise convolution with zero padding (cells outside the grid are empty)."""
    c = x.shape[1]
    k = STENCILS.to(x.device, x.dtype).repeat(c, 1, 1).unsqueeze(1)  # [3C, 1, 3, 3]
    return F.conv2d(x, k, padding=1, groups=c)


def alive(x: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] bool: a cell is alive when the alpha in its 3×3 neighbourhood reaches the threshold."""
    return F.max_pool2d(x[:, ALPHA:ALPHA + 1], 3, stride=1, padding=1) > ALIVE_THRESHOLD


class TernaryLinear(nn.Linear):
    """y = q(x) · q(W)ᵀ + b: int8 activations per row (abs-max, as BitLinear) and ternary weights
    (abs-mean), straight-through; no norm. `quantize = False`: a plain nn.Linear (the float baseline)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = False):
        super().__init__(in_features, out_features, bias=bias)
        self.quantize = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.quantize:
            return F.linear(x, self.weight, self.bias)
        xq = x + (activation_quant(x) - x).detach()
        wq = self.weight + (weight_quant(self.weight) - self.weight).detach()
        return F.linear(xq, wq, self.bias)


class GrowingNCA(nn.Module):
    """The growing NCA: `channels` state channels, a per-cell MLP 3C → hidden → C.

    `quantize=False` trains the float baseline of the same architecture."""

    def __init__(self, channels: int = CHANNELS, hidden: int = 128, fire_rate: float = 0.5, quantize: bool = True):
        super().__init__()
        self.channels, self.hidden, self.fire_rate = channels, hidden, fire_rate
        self.fc1 = TernaryLinear(3 * channels, hidden, bias=True)
        self.fc2 = TernaryLinear(hidden, channels)
        with torch.no_grad():
            self.fc2.weight.zero_()
        for m in (self.fc1, self.fc2):
            m.quantize = quantize

    @property
    def quantize(self) -> bool:
        return self.fc1.quantize

    def update(self, x: torch.Tensor) -> torch.Tensor:
        """dx for every cell, [B, C, H, W]."""
        b, c, h, w = x.shape
        p = perceive(x).permute(0, 2, 3, 1).reshape(b * h * w, 3 * c)
        dx = self.fc2(F.relu(self.fc1(p)))
        return dx.reshape(b, h, w, c).permute(0, 3, 1, 2)

    def step(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One step with a given update mask [B, 1, H, W] of 0/1."""
        pre = alive(x)
        x = x + self.update(x) * mask
        return x * (pre & alive(x)).to(x.dtype)

    def random_mask(self, x: torch.Tensor, generator: torch.Generator = None) -> torch.Tensor:
        b, _, h, w = x.shape
        r = torch.rand((b, 1, h, w), generator=generator, device="cpu").to(x.device)
        return (r < self.fire_rate).to(x.dtype)

    def forward(self, x: torch.Tensor, steps: int, generator: torch.Generator = None) -> torch.Tensor:
        for _ in range(steps):
            x = self.step(x, self.random_mask(x, generator))
        return x


def seed_state(batch: int, size: int, channels: int = CHANNELS) -> torch.Tensor:
    """The seed: one live cell in the middle, every channel but RGB at 1."""
    x = torch.zeros(batch, channels, size, size)
    x[:, ALPHA:, size // 2, size // 2] = 1.0
    return x


def glyph_target(size: int = 40, pad: int = 4) -> torch.Tensor:
    """A procedurally drawn RGBA target, [4, size, size] in [0, 1], premultiplied alpha: a ring
    coloured by angle around a filled centre disc, with `pad` empty cells on every side (room to
    grow and to be damaged). Drawn, not loaded, so it needs no data file."""
    n = size - 2 * pad
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij")
    c = (size - 1) / 2
    r = torch.sqrt((xs - c) ** 2 + (ys - c) ** 2) / (n / 2)
    ang = torch.atan2(ys - c, xs - c)
    ring = ((r > 0.62) & (r < 0.95)).float()
    disc = (r < 0.38).float()
    a = torch.clamp(ring + disc, 0, 1)
    red = ring * (0.5 + 0.5 * torch.cos(ang)) + disc * 0.95
    green = ring * (0.5 + 0.5 * torch.cos(ang - 2 * math.pi / 3)) + disc * 0.75
    blue = ring * (0.5 + 0.5 * torch.cos(ang + 2 * math.pi / 3)) + disc * 0.2
    return torch.stack([red * a, green * a, blue * a, a])


def rgba_loss(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared error of the RGBA channels against the target, [B]."""
    return ((x[:, :4] - target.unsqueeze(0)) ** 2).mean(dim=(1, 2, 3))


def damage(x: torch.Tensor, generator: torch.Generator, min_radius: float = 0.1, max_radius: float = 0.4) -> torch.Tensor:
    """Erases a random disc (radius a fraction of the grid) in every sample: the cells inside are zeroed."""
    b, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    u = torch.rand((b, 3), generator=generator)
    cy, cx = (0.25 + 0.5 * u[:, 0]) * h, (0.25 + 0.5 * u[:, 1]) * w
    rad = (min_radius + (max_radius - min_radius) * u[:, 2]) * min(h, w)
    inside = ((ys[None] - cy[:, None, None]) ** 2 + (xs[None] - cx[:, None, None]) ** 2) < rad[:, None, None] ** 2
    return x * (~inside).unsqueeze(1).to(x.device, x.dtype)


def alpha_iou(x: torch.Tensor, target: torch.Tensor, threshold: float = ALIVE_THRESHOLD) -> torch.Tensor:
    """Intersection over union of the alpha masks (alpha > threshold), [B]."""
    a = x[:, ALPHA] > threshold
    t = (target[ALPHA] > threshold).unsqueeze(0)
    inter = (a & t).sum(dim=(1, 2)).float()
    union = (a | t).sum(dim=(1, 2)).float().clamp(min=1)
    return inter / union
