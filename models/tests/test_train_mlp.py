"""The foreign-style MLP trainer: its straight-through quantizer trains, and the export is plain ONNX."""
import json
import os

import onnx
import torch

import train_mlp
from trit_models import safetensors_io


def test_ternary_linear_forward_uses_ternary_weights_and_int8_inputs():
    torch.manual_seed(0)
    layer = train_mlp.TernaryLinear(12, 5, bias=False)
    x = torch.randn(3, 12)
    w = layer.weight
    ws = w.abs().mean()
    q = (w / ws).round().clamp(-1, 1)
    xs = 127.0 / x.abs().max(dim=-1, keepdim=True).values
    xq = (x * xs).round().clamp(-128, 127) / xs
    assert torch.allclose(layer(x), xq @ (q * ws).t(), atol=1e-5)
    layer(x).sum().backward()  # the straight-through estimator lets gradients reach the float weights
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


def test_trains_and_exports_a_plain_onnx_classifier(tmp_path):
    train_mlp.main([str(tmp_path), "--epochs", "3", "--hidden", "16", "--train-images", "2048"])
    model = onnx.load(os.path.join(tmp_path, "model.onnx"))
    onnx.checker.check_model(model)
    ops = {n.op_type for n in model.graph.node}
    assert {"Round", "Clip"} <= ops  # the quantizer is in the graph, for trit to recognise
    tensors, meta = safetensors_io.load(os.path.join(tmp_path, "golden.safetensors"))
    assert meta["kind"] == "batch" and tensors["output.logits"].shape == (256, 10)
    log = json.load(open(os.path.join(tmp_path, "train_log.json")))
    assert log["log"][-1]["test_accuracy"] > 0.3  # 2,048 images, three epochs: well above chance (10%)
