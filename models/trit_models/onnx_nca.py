"""Export one step of a growing NCA (trit_models/nca.py) as canonical ONNX: state [1, C, H, W] and the
update mask [1, 1, H, W] (0/1, drawn by the caller from a seeded generator, so every runtime applies
the same one) → new_state [1, C, H, W].

  perception  Conv, depthwise (group = C), the fixed integer stencils, zero padding 1
  per cell    Transpose + Reshape to [H·W, 3C] rows; per row: abs-max int8 quantization
              (Abs, ReduceMax, Max, Div, Mul, Round, Clip) and MatMul with Cast(int8 ternary) · scale,
              bias Add, Relu, the same again for the second layer
  update      Reshape + Transpose back, Mul by the mask, Add to the state
  alive       Slice the alpha channel, MaxPool 3×3 (stride 1, pad 1), Greater than 0.1 — before and
              after the update — And, Cast to float, Mul
"""
import numpy as np
import onnx
from onnx import TensorProto, helper

from .nca import ALIVE_THRESHOLD, ALPHA, STENCILS
from .onnx_lm import _f32, _Graph, quant_matmul


def ternary_linear(g: _Graph, x: str, name: str, layer) -> str:
    """The NCA's TernaryLinear: BitLinear's quantized MatMul without the norm, plus a bias."""
    y = quant_matmul(g, x, name, layer.weight)
    if layer.bias is not None:
        y = g.op("Add", [y, g.init(f"{name}.bias", _f32(layer.bias))])
    return y


def _alive(g: _Graph, x: str, i64) -> str:
    alpha = g.op("Slice", [x, i64(ALPHA), i64(ALPHA + 1), i64(1)])
    pooled = g.op("MaxPool", [alpha], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    return g.op("Greater", [pooled, g.scalar(ALIVE_THRESHOLD)])


def export_nca_step(model, path: str, size: int, opset: int = 17) -> None:
    if not model.quantize:
        raise ValueError("the float baseline is not exported: trit compiles the ternary NCA")
    C, H, W = model.channels, size, size
    g = _Graph()
    i64 = lambda *v: g.init(g.fresh("i"), np.array(v, dtype=np.int64))
    k = STENCILS.repeat(C, 1, 1).unsqueeze(1).numpy().astype(np.float32)  # [3C, 1, 3, 3]
    p = g.op("Conv", ["state", g.init("perception.stencils", k)], group=C, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    rows = g.op("Reshape", [g.op("Transpose", [p], perm=[0, 2, 3, 1]), i64(H * W, 3 * C)])
    hid = g.op("Relu", [ternary_linear(g, rows, "fc1", model.fc1)])
    dx = ternary_linear(g, hid, "fc2", model.fc2)
    dx = g.op("Transpose", [g.op("Reshape", [dx, i64(1, H, W, C)])], perm=[0, 3, 1, 2])
    x1 = g.op("Add", ["state", g.op("Mul", [dx, "mask"])])
    live = g.op("Cast", [g.op("And", [_alive(g, "state", i64), _alive(g, x1, i64)])], to=TensorProto.FLOAT)
    g.op("Mul", [x1, live], "new_state")
    f32 = lambda n, c: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, c, H, W])
    graph = helper.make_graph(g.nodes, "growing_nca_step", [f32("state", C), f32("mask", 1)], [f32("new_state", C)], g.inits)
    mp = helper.make_model(graph, producer_name="trit-models", opset_imports=[helper.make_opsetid("", opset)])
    mp.ir_version = 8
    onnx.checker.check_model(mp)
    onnx.save(mp, path)
