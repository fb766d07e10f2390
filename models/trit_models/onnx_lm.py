"""Export the MatMul-free LM's single decode step as the canonical ONNX of docs/onnx-format.md,
written node by node with onnx.helper so the file is exactly the documented form."""
import os
from typing import List

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .quant import weight_quant_int


class _Graph:
    """A small node/initializer accumulator with fresh names."""

    def __init__(self, data_path: str = None):
        self.nodes, self.inits, self.n = [], [], 0
        # External data is written as each tensor is made, so a 2.7B-parameter export never holds
        # the tensors' bytes twice (onnx.save(save_as_external_data=True) would, and more).
        self.data_path = data_path
        self.data = open(data_path, "wb") if data_path else None

    def fresh(self, base: str) -> str:
        self.n += 1
        return f"{base}_{self.n}"

    def init(self, name: str, array: np.ndarray) -> str:
        if self.data is None or array.nbytes < 1024:
            self.inits.append(numpy_helper.from_array(array, name))
            return name
        t = numpy_helper.from_array(array.reshape(-1)[:0].reshape((0,)), name)  # type only, no bytes
        t.ClearField("raw_data")
        del t.dims[:]
        t.dims.extend(array.shape)
        offset = self.data.tell()
        self.data.write(np.ascontiguousarray(array).tobytes())
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", os.path.basename(self.data_path)), ("offset", str(offset)), ("length", str(array.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return name

    def scalar(self, v: float) -> str:
        return self.init(self.fresh("c"), np.array(v, dtype=np.float32))

    def op(self, op_type: str, inputs: List[str], out: str = None, **attrs) -> str:
        out = out or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self.fresh(op_type), **attrs))
        return out


def _f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().float().numpy().astype(np.float32)


def rms_norm(g: _Graph, x: str, weight: str, eps: float) -> str:
    ms = g.op("ReduceMean", [g.op("Mul", [x, x])], axes=[-1], keepdims=1)
    r = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [ms, g.scalar(eps)])])])
    return g.op("Mul", [g.op("Mul", [x, r]), weight])


def bit_linear(g: _Graph, x: str, name: str, layer, out: str = None) -> str:
    """RMSNorm → abs-max int8 quantization → MatMul(INT8 ternary · scale) — the canonical BitLinear."""
    y = rms_norm(g, x, g.init(f"{name}.norm.weight", _f32(layer.norm.weight)), layer.norm.eps)
    return quant_matmul(g, y, name, layer.weight, out)


def quant_matmul(g: _Graph, y: str, name: str, weight, out: str = None) -> str:
    """Per-row abs-max int8 activations · int8 ternary weights · their scale: BitLinear after its norm."""
    a = g.op("Max", [g.op("ReduceMax", [g.op("Abs", [y])], axes=[-1], keepdims=1), g.scalar(1e-5)])
    s = g.op("Div", [g.scalar(127.0), a])
    q = g.op("Clip", [g.op("Round", [g.op("Mul", [y, s])]), g.scalar(-128.0), g.scalar(127.0)])
    qw, sw = weight_quant_int(weight.detach().float())
    w8 = g.init(f"{name}.weight_ternary", qw.t().contiguous().numpy().astype(np.int8))  # [in, out]
    W = g.op("Mul", [g.op("Cast", [w8], to=TensorProto.FLOAT), g.scalar(float(1.0 / sw))])
    return g.op("MatMul", [g.op("Div", [q, s]), W], out)


def export_decode_step(model, path: str, opset: int = 17, external_data: bool = False) -> None:
    """Writes `model` (HGRNBitForCausalLM) as a one-token decode step: input_ids [1], state.{n} [1,d]
    → logits [1,V], new_state.{n} [1,d]. `external_data` puts the tensors in `<path>.data` (needed
    past protobuf's 2 GB limit)."""
    cfg = model.config
    d, L, I = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate
    eps = cfg.rms_norm_eps
    g = _Graph(path + ".data" if external_data else None)
    m = model.model
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, cfg.vocab_size])]
    h = g.op("Gather", [g.init("model.embeddings.weight", _f32(m.embeddings.weight)), "input_ids"], axis=0)
    if cfg.use_lower_bound:
        sm = g.op("Softmax", [g.init("model.lower_bounds", _f32(m.lower_bounds))], axis=0)
        cs = g.op("CumSum", [sm, g.init("cumsum_axis", np.array(0, dtype=np.int64))])
        lb = g.op("Sub", [cs, g.op("Gather", [cs, g.init("row0", np.array(0, dtype=np.int64))], axis=0)])
    for n, blk in enumerate(m.layers):
        p = f"model.layers.{n}"
        state = f"state.{n}"
        inputs.append(helper.make_tensor_value_info(state, TensorProto.FLOAT, [1, d]))
        outputs.append(helper.make_tensor_value_info(f"new_state.{n}", TensorProto.FLOAT, [1, d]))
        a = rms_norm(g, h, g.init(f"{p}.attn_norm.weight", _f32(blk.attn_norm.weight)), eps)
        i = bit_linear(g, a, f"{p}.attn.i_proj", blk.attn.i_proj)
        f = g.op("Sigmoid", [bit_linear(g, a, f"{p}.attn.f_proj", blk.attn.f_proj)])
        gp = bit_linear(g, a, f"{p}.attn.g_proj", blk.attn.g_proj)
        if cfg.use_lower_bound and n > 0:  # lb[0] = 0: layer 0 has no lower bound
            lbn = g.op("Gather", [lb, g.init(f"lb_index_{n}", np.array(n, dtype=np.int64))], axis=0)
            f = g.op("Add", [lbn, g.op("Mul", [g.op("Sub", [g.scalar(1.0), lbn]), f])])
        silu_i = g.op("Mul", [i, g.op("Sigmoid", [i])])
        inp = g.op("Mul", [silu_i, g.op("Sub", [g.scalar(1.0), f])])
        hs = g.op("Add", [g.op("Mul", [f, state]), inp], f"new_state.{n}")
        gn = rms_norm(g, gp, g.init(f"{p}.attn.g_norm.weight", _f32(blk.attn.g_norm.weight)), blk.attn.g_norm.eps)
        o = g.op("Mul", [gn, g.op("Mul", [hs, g.op("Sigmoid", [hs])])])
        s = g.op("Add", [bit_linear(g, o, f"{p}.attn.o_proj", blk.attn.o_proj), h])
        mm = rms_norm(g, s, g.init(f"{p}.mlp_norm.weight", _f32(blk.mlp_norm.weight)), eps)
        y = bit_linear(g, mm, f"{p}.mlp.gate_proj", blk.mlp.gate_proj)
        i64 = lambda v: g.init(g.fresh("i"), np.array([v], dtype=np.int64))
        gate = g.op("Slice", [y, i64(0), i64(I), i64(1)])
        up = g.op("Slice", [y, i64(I), i64(2 * I), i64(1)])
        z = bit_linear(g, g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up]), f"{p}.mlp.down_proj", blk.mlp.down_proj)
        h = g.op("Add", [s, z], f"{p}.out")
    hn = rms_norm(g, h, g.init("model.norm.weight", _f32(m.norm.weight)), eps)
    bit_linear(g, hn, "lm_head", model.lm_head, "logits")
    graph = helper.make_graph(g.nodes, "hgrn_bit_decode_step", inputs, outputs, g.inits)
    mp = helper.make_model(graph, producer_name="trit-models", opset_imports=[helper.make_opsetid("", opset)])
    mp.ir_version = 8
    if external_data:
        g.data.close()
        onnx.save(mp, path)
        onnx.checker.check_model(path)
    else:
        onnx.checker.check_model(mp)
        onnx.save(mp, path)
