"""Export the quantized-columns classifier as canonical ONNX (docs/onnx-format.md): image [1, 784]
→ logits [1, classes]. The small-world mixing, the decay and the homeostatic gains are constants by
now, so message passing is written as weighted sums (Mul by a constant, Add) and Relu."""
import numpy as np
import onnx
from onnx import TensorProto, helper

from .onnx_lm import _f32, _Graph, bit_linear


def export_columns(model, path: str, opset: int = 17) -> None:
    hp = model.hparams
    C = hp["columns"]
    g = _Graph()
    x = "image"
    cols = []
    for c, col in enumerate(model.cols):
        p = f"cols.{c}"
        exc = g.op("Relu", [bit_linear(g, x, f"{p}.exc", col.exc)])
        inh = g.op("Sigmoid", [bit_linear(g, x, f"{p}.inh", col.inh)])
        a = g.op("Mul", [exc, g.op("Sub", [g.scalar(1.0), g.op("Mul", [g.scalar(float(col.r)), inh])])])
        if col.proj is not None:
            a = bit_linear(g, a, f"{p}.proj", col.proj)
        cols.append(g.op("LayerNormalization", [a, g.init(f"{p}.ln.weight", _f32(col.ln.weight)), g.init(f"{p}.ln.bias", _f32(col.ln.bias))],
                         axis=-1, epsilon=float(col.ln.eps)))
    M = model.folded_mixing().numpy()
    for _ in range(hp["rounds"]):
        nxt = []
        for c in range(C):
            acc = g.op("Mul", [cols[c], g.scalar(hp["decay"])])
            for j in range(C):
                if M[c, j] != 0.0:
                    acc = g.op("Add", [acc, g.op("Mul", [cols[j], g.scalar(float(M[c, j]))])])
            nxt.append(g.op("Relu", [acc]))
        cols = nxt
    gain = model.homeo_gain.numpy() / C
    pooled = g.op("Mul", [cols[0], g.scalar(float(gain[0]))])
    for c in range(1, C):
        pooled = g.op("Add", [pooled, g.op("Mul", [cols[c], g.scalar(float(gain[c]))])], "pooled" if c == C - 1 else None)
    hid = g.op("Relu", [bit_linear(g, pooled, "intermediate", model.intermediate)])
    bit_linear(g, hid, "classifier", model.classifier, "logits")
    graph = helper.make_graph(g.nodes, "quantized_columns", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, hp["d_in"]])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, hp["classes"]])], g.inits)
    mp = helper.make_model(graph, producer_name="trit-models", opset_imports=[helper.make_opsetid("", opset)])
    mp.ir_version = 8
    onnx.checker.check_model(mp)
    onnx.save(mp, path)
