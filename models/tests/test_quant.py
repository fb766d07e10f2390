"""Quantizers against hand-computed cases: ties, all-zero rows, eps floors, the STE."""
import torch

from trit_models.quant import BitLinear, RMSNorm, activation_quant_int, weight_quant_int


def test_activation_quant_rounds_half_to_even_per_row():
    # max|y| = 127 ⇒ s_x = 1, so y·s_x = y exactly: ties land on .5 values.
    y = torch.tensor([[0.5, 1.5, 2.5, -0.5, -2.5, 127.0], [-3.5, 0.0, 0.0, 0.0, 0.0, -127.0]])
    q, s = activation_quant_int(y)
    assert torch.equal(s, torch.tensor([[1.0], [1.0]]))
    assert q.tolist() == [[0.0, 2.0, 2.0, -0.0, -2.0, 127.0], [-4.0, 0.0, 0.0, 0.0, 0.0, -127.0]]


def test_activation_quant_scales_to_127_and_floors_tiny_rows():
    q, s = activation_quant_int(torch.tensor([[0.1, -0.2, 0.05]]))
    assert torch.allclose(s, torch.tensor([[635.0]]))
    assert q.tolist() == [[64.0, -127.0, 32.0]]  # 63.5 → 64 (even), 31.75 → 32
    q0, s0 = activation_quant_int(torch.zeros(1, 4))  # all-zero row: scale from the 1e-5 floor
    assert torch.allclose(s0, torch.tensor([[127.0 / 1e-5]])) and q0.abs().sum() == 0


def test_weight_quant_is_abs_mean_ternary_with_ties_to_zero():
    w = torch.tensor([[1.0, -1.0, 0.5, 0.49], [2.0, -0.1, 0.0, 3.0]])
    q, s = weight_quant_int(w)
    mean = w.abs().mean().item()  # 1.01125
    assert abs(s.item() - 1 / mean) < 1e-6
    assert q.tolist() == [[1.0, -1.0, 0.0, 0.0], [1.0, -0.0, 0.0, 1.0]]
    # |w·s| exactly 0.5 rounds to 0 (half to even), not to ±1
    q2, _ = weight_quant_int(torch.tensor([0.5, -0.5, 1.5, -1.5]))  # mean|w| = 1 ⇒ s = 1
    assert q2.tolist() == [0.0, -0.0, 1.0, -1.0]
    qz, sz = weight_quant_int(torch.zeros(3))  # eps floor: no division by zero
    assert torch.isfinite(sz) and qz.abs().sum() == 0


def test_bitlinear_straight_through_gradients_reach_weights_and_inputs():
    torch.manual_seed(0)
    layer = BitLinear(8, 4)
    x = torch.randn(3, 8, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
    assert set(layer.state_dict()) == {"weight", "norm.weight"}


def test_bitlinear_forward_is_the_exact_integer_product_rescaled():
    torch.manual_seed(1)
    layer = BitLinear(16, 5)
    x = torch.randn(2, 16)
    with torch.no_grad():
        y = layer.norm(x)
        qx, sx = activation_quant_int(y)
        qw, sw = weight_quant_int(layer.weight)
        exact = (qx @ qw.t()) / (sx * sw)
        assert torch.allclose(layer(x), exact, atol=1e-5)


def test_rmsnorm_eps():
    n = RMSNorm(4, eps=1e-6)
    x = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
    assert torch.allclose(n(x), x / (1 + 1e-6) ** 0.5)
