"""Ternary weights, int8 activations, RMSNorm and BitLinear — the MatMul-free LM's building blocks.

Follows ridgerchu/matmulfreellm's FusedBitLinear (mmfreelm/ops/fusedbitnet.py):
  y   = RMSNorm(x) (eps 1e-6, weight g)
  q_x = clamp(round(y * 127 / max(max|y|, 1e-5)), -128, 127)        per token
  q_w = clamp(round(W / max(mean|W|, 1e-5)), -1, 1)                  per tensor
  out = (q_x / s_x) @ (q_w / s_w)^T
with straight-through estimators in training. Rounding is torch.round (half to even, as ONNX Round);
upstream's fused Triton kernel rounds activations half away from zero — they differ only on exact ties.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ACT_EPS = 1e-5     # floor of max|y| in the activation scale
WEIGHT_EPS = 1e-5  # floor of mean|W| in the weight scale
BITLINEAR_NORM_EPS = 1e-6  # what FusedBitLinear really uses (not BitLinear.__init__'s 1e-8)


def activation_scale(y: torch.Tensor) -> torch.Tensor:
    """s_x = 127 / max(max|y|, 1e-5) per row (last axis), keepdim."""
    return 127.0 / y.abs().amax(dim=-1, keepdim=True).clamp(min=ACT_EPS)


def activation_quant_int(y: torch.Tensor):
    """(q_x as float-valued integers in [-128, 127], s_x)."""
    s = activation_scale(y)
    return (y * s).round().clamp(-128, 127), s


def activation_quant(y: torch.Tensor) -> torch.Tensor:
    """Fake-quantized activations q_x / s_x."""
    q, s = activation_quant_int(y)
    return q / s


def weight_scale(w: torch.Tensor) -> torch.Tensor:
    """s_w = 1 / max(mean|W|, 1e-5), one scalar for the whole tensor, in float32 (in w's dtype
    when that is narrower). The mean is summed in float64 and rounded once: torch's float32 sum
    depends on the machine's vector width and can differ in the last bit, which would move s_w by
    an ulp; trit's compiler computes the same correctly rounded mean (compiler/frontends/hf/quantize.ts)."""
    m = w.detach().abs().double().mean().float().clamp(min=WEIGHT_EPS)
    return (1.0 / m).to(w.dtype if w.dtype in (torch.float16, torch.bfloat16) else torch.float32)


def weight_quant_int(w: torch.Tensor):
    """(q_w ∈ {-1, 0, 1} as floats, s_w). Computed once from the stored float weights — never from
    already-dequantized ones, which would rescale them (upstream issue #18)."""
    s = weight_scale(w)
    return (w * s).round().clamp(-1, 1), s


def weight_quant(w: torch.Tensor) -> torch.Tensor:
    """Fake-quantized ternary weights q_w / s_w."""
    q, s = weight_quant_int(w)
    return q / s


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x²) + eps) * weight; no bias (upstream registers bias=None)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


class BitLinear(nn.Linear):
    """nn.Linear with its own RMSNorm, int8 activations and ternary weights (straight-through).

    State-dict keys `weight` [out, in] and `norm.weight` [in], as upstream's FusedBitLinear.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = False):
        super().__init__(in_features, out_features, bias=bias)
        self.norm = RMSNorm(in_features, eps=BITLINEAR_NORM_EPS)
        #: False trains the float baseline of the same architecture (no quantization at all).
        self.quantize = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(x)
        if not self.quantize:
            return F.linear(y, self.weight, self.bias)
        yq = y + (activation_quant(y) - y).detach()
        w = self.weight
        if torch.is_grad_enabled():
            wq = w + (weight_quant(w) - w).detach()
        else:  # inference: quantize once per weight version, not at every step
            key = (w.data_ptr(), w._version, w.dtype)
            if getattr(self, "_wq_key", None) != key:
                self._wq, self._wq_key = weight_quant(w), key
            wq = self._wq
        return F.linear(yq, wq, self.bias)
