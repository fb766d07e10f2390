"""Quantized columns: the small-world graph, Hebbian plasticity, homeostasis, export."""
import onnx
import torch
import torch.nn.functional as F

from trit_models.columns import QuantizedColumns, watts_strogatz
from trit_models.onnx_columns import export_columns


def test_watts_strogatz_is_a_symmetric_small_world():
    ring = watts_strogatz(10, 4, 0.0, seed=1)
    assert torch.equal(ring, ring.t()) and ring.diagonal().sum() == 0
    assert ring.sum(1).tolist() == [4.0] * 10  # each node: k nearest neighbours
    rewired = watts_strogatz(10, 4, 1.0, seed=1)
    assert torch.equal(rewired, rewired.t()) and rewired.sum() == ring.sum()  # rewiring keeps the edge count
    assert not torch.equal(rewired, ring)


def test_hebbian_update_strengthens_co_active_edges_within_tanh_bounds():
    torch.manual_seed(0)
    m = QuantizedColumns(columns=6, width=8, hidden=8, d_in=16, k=2, rewire=0.0)
    m.train()
    with torch.no_grad():
        m.edges.zero_()
    m(torch.rand(32, 16))
    co = m._coactivity.clone()
    before = m.edges.detach().clone()
    for _ in range(200):
        m.hebbian_update()
    after = m.edges.detach()
    edges = m.adjacency.bool()
    assert torch.all(after[~edges] == 0)                         # only graph edges carry weight
    assert torch.all(after.abs() < 1)                            # tanh bound
    assert torch.all(torch.sign(after[edges]) == torch.sign(co[edges]))  # co-active ⇒ positive, anti-correlated ⇒ negative
    assert (after - before).abs().sum() > 0


def test_homeostatic_gain_tracks_activity():
    torch.manual_seed(1)
    m = QuantizedColumns(columns=4, width=8, hidden=8, d_in=16, homeo_momentum=0.5)
    m.train()
    for _ in range(20):
        m(torch.rand(16, 16))
    assert torch.allclose(m.homeo_gain * m.activity, torch.full((4,), 1.0), atol=1e-4)


def test_training_reduces_loss_and_export_is_canonical(tmp_path):
    torch.manual_seed(2)
    m = QuantizedColumns(columns=3, width=12, hidden=16, d_in=784)
    x = torch.rand(64, 784)
    y = x[:, :10].argmax(1)  # a learnable rule
    opt = torch.optim.AdamW(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        m.hebbian_update()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.85 * sum(losses[:5]) / 5, losses
    path = str(tmp_path / "c.onnx")
    export_columns(m, path)
    g = onnx.load(path).graph
    assert [i.name for i in g.input] == ["image"] and [o.name for o in g.output] == ["logits"]
    ops = {n.op_type for n in g.node}
    assert "MatMul" in ops and "LayerNormalization" in ops and "Einsum" not in ops
    # exc, inh and a projection (width 12 ≠ dim 64) per column, then intermediate and classifier
    assert sum(1 for t in g.initializer if t.name.endswith(".weight_ternary")) == 3 * 3 + 2


def test_attention_gates_fold_to_their_means():
    torch.manual_seed(3)
    m = QuantizedColumns(columns=4, width=8, hidden=8, d_in=16, attention=True)
    x = torch.rand(20, 16)
    m.fold_gates(x)
    assert m.use_gate_means and torch.all((m.gate_means > 0) & (m.gate_means < 1))
    assert torch.allclose(m.folded_mixing(), m.adjacency * m.edges * m.gate_means)
