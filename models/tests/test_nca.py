"""Growing NCA: the perception stencils, masks, the zero-initialised update, and a short training run."""
import json

import numpy as np
import onnx
import torch

import train_nca
from trit_models import safetensors_io
from trit_models.nca import STENCILS, GrowingNCA, alive, alpha_iou, damage, glyph_target, perceive, seed_state


def test_perception_is_identity_and_integer_sobel_per_channel():
    assert STENCILS.abs().max() == 2 and torch.equal(STENCILS, STENCILS.round())
    x = torch.zeros(1, 2, 5, 5)
    x[0, 1, 2, 2] = 1.0  # one impulse in channel 1
    p = perceive(x)
    assert p.shape == (1, 6, 5, 5)
    assert torch.all(p[0, :3] == 0)                      # channel 0 sees nothing
    assert torch.equal(p[0, 3, 1:4, 1:4], STENCILS[0].flip(0).flip(1))  # conv of an impulse: the flipped stencil
    assert torch.equal(p[0, 4, 1:4, 1:4], STENCILS[1].flip(0).flip(1))
    assert torch.equal(p[0, 5, 1:4, 1:4], STENCILS[2].flip(0).flip(1))


def test_a_fresh_nca_does_nothing_and_dead_cells_stay_dead():
    torch.manual_seed(0)
    m = GrowingNCA(hidden=16)
    x = seed_state(2, 9)
    y = m(x, 5, torch.Generator().manual_seed(1))
    assert torch.equal(x, y)                               # fc2 starts at zero: dx = 0
    x[:, 3:, 0, 0] = 0.05                                  # a cell below the threshold, far from the seed
    assert not alive(x)[0, 0, 0, 0] and alive(x)[0, 0, 4, 4]
    with torch.no_grad():
        m.fc2.weight.normal_()
    y = m(x, 1, torch.Generator().manual_seed(1))
    assert torch.all(y[:, :, 0, 0] == 0)                   # zeroed: no living neighbour


def test_update_mask_is_seeded_and_near_the_fire_rate():
    m = GrowingNCA(hidden=8)
    x = torch.zeros(4, 16, 32, 32)
    a = m.random_mask(x, torch.Generator().manual_seed(3))
    b = m.random_mask(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and 0.45 < a.mean().item() < 0.55


def test_target_damage_and_iou():
    t = glyph_target(40)
    assert t.shape == (4, 40, 40) and 0 <= t.min() and t.max() <= 1
    assert torch.all(t[:3] <= t[3] + 1e-6)                # premultiplied alpha
    assert torch.all(t[:, :4] == 0) and torch.all(t[:, -4:] == 0)  # padding
    x = torch.zeros(3, 16, 40, 40)
    x[:, :4] = t
    assert torch.allclose(alpha_iou(x, t), torch.ones(3))
    hit = damage(x, torch.Generator().manual_seed(0), 0.3, 0.3)
    assert torch.all(alpha_iou(hit, t) < 0.95)


def test_short_training_lowers_the_loss_and_writes_its_files(tmp_path):
    out = tmp_path / "nca"
    train_nca.main(["--out", str(out), "--size", "16", "--hidden", "32", "--iterations", "25", "--batch", "4",
                    "--pool", "16", "--damage", "1", "--damage-after", "5", "--log-every", "5", "--trials", "4",
                    "--threads", "2", "--golden", "3"])
    log = json.loads((out / "train_log.json").read_text())
    curve = [e["loss"] for e in log["curve"]]
    assert min(curve[1:]) < curve[0]
    assert set(log["eval"]) >= {"growth_rgba_mse", "growth_alpha_iou", "recovered_fraction"}
    for f in ("model.safetensors", "target.safetensors", "model.onnx", "golden.safetensors"):
        assert (out / f).exists(), f
    g, meta = safetensors_io.load(str(out / "golden.safetensors"))
    assert meta["kind"] == "batch"
    assert g["input.state"].shape == (3, 16 * 16 * 16) and g["output.new_state"].shape == (3, 16 * 16 * 16)
    assert torch.equal(g["input.state"][1], g["output.new_state"][0])  # each step starts where the last ended


def _run_onnx_numpy(model_proto, feeds):
    """A numpy evaluation of the ops the NCA step uses (python3-onnx 1.12 has no reference evaluator)."""
    from onnx import numpy_helper
    env = dict(feeds)
    for t in model_proto.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for n in model_proto.graph.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        i = [env[x] for x in n.input]
        op = n.op_type
        if op == "Conv":
            x, k = i
            c = a["group"]
            xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
            out = np.zeros((1, k.shape[0]) + x.shape[2:], np.float32)
            for o in range(k.shape[0]):
                src = o // (k.shape[0] // c)
                for dy in range(3):
                    for dx in range(3):
                        out[0, o] += k[o, 0, dy, dx] * xp[0, src, dy:dy + x.shape[2], dx:dx + x.shape[3]]
            r = out
        elif op == "MaxPool":
            xp = np.pad(i[0], ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
            h, w = i[0].shape[2:]
            r = np.max([xp[:, :, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)
        elif op == "Transpose":
            r = np.transpose(i[0], a["perm"])
        elif op == "Reshape":
            r = i[0].reshape(i[1])
        elif op == "Slice":
            r = i[0][:, int(i[1][0]):int(i[2][0])]
        elif op == "ReduceMax":
            r = i[0].max(axis=-1, keepdims=True)
        elif op == "Cast":
            r = i[0].astype(np.float32)
        elif op == "Clip":
            r = np.clip(i[0], i[1], i[2])
        else:
            f = {"Abs": np.abs, "Max": np.maximum, "Div": np.divide, "Mul": np.multiply, "Round": np.round, "Add": np.add,
                 "Relu": lambda v: np.maximum(v, 0), "MatMul": np.matmul, "Greater": np.greater, "And": np.logical_and}[op]
            r = f(*i)
        env[n.output[0]] = r.astype(np.float32) if r.dtype == np.float64 else r
    return env["new_state"]


def test_onnx_step_equals_the_pytorch_step(tmp_path):
    from trit_models.onnx_nca import export_nca_step
    torch.manual_seed(4)
    m = GrowingNCA(hidden=24)
    with torch.no_grad():
        m.fc2.weight.normal_(0, 0.05)
    size = 12
    x = m(seed_state(1, size), 12, torch.Generator().manual_seed(2)).detach()   # a grown, irregular state
    mask = m.random_mask(x, torch.Generator().manual_seed(5))
    path = tmp_path / "step.onnx"
    export_nca_step(m, str(path), size)
    proto = onnx.load(str(path))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "MatMul", "Greater", "And"} <= ops and "Sobel" not in ops
    (w1,) = [t for t in proto.graph.initializer if t.name == "fc1.weight_ternary"]
    assert set(np.unique(onnx.numpy_helper.to_array(w1))) <= {-1, 0, 1}
    with torch.no_grad():
        want = m.step(x, mask).numpy()
    got = _run_onnx_numpy(proto, {"state": x.numpy(), "mask": mask.numpy()})
    close = np.isclose(got, want, atol=1e-4, rtol=1e-4)
    assert close.mean() > 0.999, f"{(~close).sum()} of {close.size} values differ"
    assert np.count_nonzero(want) > 50                                         # the state is not trivial
