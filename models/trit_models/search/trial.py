"""One trial: train a candidate for a fixed CPU-time budget, evaluate it, then measure it with trit.

Runs in a worker process of the search (one PyTorch thread, so `--jobs N` trials share N cores
fairly). Every figure in the returned metrics says how it was obtained (front.py COSTS), and a
figure that could not be obtained is absent, with a note — never estimated in its place:

  accuracy               the PyTorch model (ternary weights, int8 activations) on the test images
  up5k_*                 `trit compile --target verilog --device up5k --no-synth`: the fit model's
                         logic-cell prediction and the cycles of one inference in Verilator; a model
                         the UP5K cannot hold is recorded as not fitting, with trit's reason
  wasm_*                 `trit compile --target wasm`, then bench/classify-one: images/s (batch 1, one
                         thread) and the wasm's own accuracy on the same images
"""
import json
import math
import os
import resource
import subprocess
import time
import warnings
from typing import Any, Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data import SHARED, mnist
from ..calibration import image_calibration

# The quantizer of models/train_mlp.py, the foreign-style MLP the UP5K flow was proven on: a
# candidate is written the way users write one. (models/ is on the path: search.py, the tests.)
from train_mlp import TernaryLinear

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class NonFiniteLoss(RuntimeError):
    pass


class MLP(nn.Module):
    def __init__(self, hidden: List[int], d_in: int = 784, classes: int = 10):
        super().__init__()
        dims = [d_in] + list(hidden)
        self.layers = nn.ModuleList(TernaryLinear(a, b) for a, b in zip(dims, dims[1:]))
        self.out = TernaryLinear(dims[-1], classes)

    def forward(self, image):
        x = image
        for layer in self.layers:
            x = F.relu(layer(x))
        return self.out(x)


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run_trial(family: str, arch: Dict[str, Any], opts: Dict[str, Any]) -> Dict[str, Any]:
    """Trains, evaluates and measures one candidate; returns metrics, curve and its costs in time."""
    if family != "mlp":
        raise ValueError(f"no trial for family '{family}'")
    t0, c0 = time.time(), _cpu()
    torch.set_num_threads(1)
    torch.manual_seed(opts.get("seed", 0))
    out = opts["dir"]
    os.makedirs(out, exist_ok=True)
    model, curve, acc, xtr = _train_mlp(arch, opts)
    metrics: Dict[str, Any] = {"accuracy": acc, "test_images": opts["test_images"], "train_cpu_seconds": curve[-1]["cpu_seconds"] if curve else 0,
                               "ternary_weights": sum(m.weight.numel() for m in model.modules() if isinstance(m, TernaryLinear))}
    _export(model, out, xtr)
    if opts.get("fpga", True):
        metrics.update(_up5k(out))
    if opts.get("wasm", True):
        metrics.update(_wasm(out, opts["test_images"]))
    return {"metrics": metrics, "curve": curve, "wall": time.time() - t0, "cpu": _cpu() - c0}


def _train_mlp(arch: Dict[str, Any], opts: Dict[str, Any]):
    xtr, ytr = mnist("train")
    xtr, ytr = xtr[:opts["train_images"]], ytr[:opts["train_images"]]
    xte, yte = mnist("t10k")
    xte, yte = xte[:opts["test_images"]], yte[:opts["test_images"]]
    model = MLP(arch["hidden"])
    opt = torch.optim.Adam(model.parameters(), lr=arch["lr"])
    budget, start = float(opts["budget"]), time.process_time()
    curve, step, gen = [], 0, torch.Generator().manual_seed(opts.get("seed", 0))
    perm, pos, next_log = torch.randperm(len(xtr), generator=gen), 0, 0.0
    while time.process_time() - start < budget:
        if pos + 128 > len(perm):
            perm, pos = torch.randperm(len(xtr), generator=gen), 0
        idx = perm[pos:pos + 128]
        pos += 128
        # cosine decay over the CPU budget: a fixed-budget run ends at a low rate, as a scheduled one does
        for group in opt.param_groups:
            group["lr"] = arch["lr"] * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.process_time() - start) / budget)))
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        if not math.isfinite(loss.item()):
            raise NonFiniteLoss(f"training loss became {loss.item()} at step {step}")
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        spent = time.process_time() - start
        if spent >= next_log:
            curve.append({"step": step, "cpu_seconds": round(spent, 2), "loss": round(loss.item(), 4)})
            next_log = spent + budget / 20
    model.eval()
    with torch.no_grad():
        acc = sum((model(xte[i:i + 1000]).argmax(-1) == yte[i:i + 1000]).sum().item() for i in range(0, len(xte), 1000)) / len(xte)
    curve.append({"step": step, "cpu_seconds": round(time.process_time() - start, 2), "test_accuracy": acc})
    return model, curve, acc, xtr


def _export(model: nn.Module, out: str, xtr: torch.Tensor) -> None:
    """model.onnx as torch.onnx.export writes it (the usual way), and trit's calibration images."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 1.13's shape-inference notes on every export
        torch.onnx.export(model, (xtr[:1],), os.path.join(out, "model.onnx"), opset_version=13, do_constant_folding=True,
                          input_names=["image"], output_names=["logits"])
    image_calibration(os.path.join(out, "calibration.safetensors"), xtr, count=min(256, len(xtr)))


def _trit(args: List[str], timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(["node", os.path.join(ROOT, "dist", "cli", "main.js")] + args, capture_output=True, text=True, timeout=timeout)


def _error_line(r: subprocess.CompletedProcess) -> str:
    lines = [l for l in r.stderr.splitlines() if l.startswith("trit: error:")]
    return (lines[-1] if lines else r.stderr.strip()[-300:]).replace("trit: error: ", "")


def _up5k(out: str) -> Dict[str, Any]:
    r = _trit(["compile", os.path.join(out, "model.onnx"), "--target", "verilog", "--device", "up5k", "--no-synth", "--json", "-o", os.path.join(out, "up5k")])
    if r.returncode == 1:
        return {"up5k_fits": False, "up5k_note": _error_line(r)}
    if r.returncode != 0:
        raise RuntimeError(f"trit compile --target verilog failed ({r.returncode}): {_error_line(r)}")
    j = json.loads(r.stdout)
    return {"up5k_fits": True, "up5k_cycles": j["cyclesPerInference"], "up5k_logic_cells": j["plan"]["logic"],
            "up5k_logic_source": "predicted", "up5k_cycles_by_op": j.get("cyclesByOp")}


def _wasm(out: str, images: int) -> Dict[str, Any]:
    wasm = os.path.join(out, "model.wasm")
    r = _trit(["compile", os.path.join(out, "model.onnx"), "--target", "wasm", "-o", wasm])
    if r.returncode != 0:
        raise RuntimeError(f"trit compile --target wasm failed: {_error_line(r)}")
    b = subprocess.run(["node", os.path.join(ROOT, "dist", "bench", "classify-one.js"), "trit", wasm, "1", str(images), os.path.join(SHARED, "mnist")],
                       capture_output=True, text=True, timeout=1800)
    if b.returncode != 0:
        raise RuntimeError(f"classifying with the wasm failed: {b.stderr.strip()[-300:]}")
    j = json.loads(b.stdout)
    return {"wasm_images_per_second": j["imagesPerSecond"], "wasm_us_per_image": round(1e6 / j["imagesPerSecond"], 2), "wasm_accuracy": j["accuracy"],
            "wasm_bytes": os.path.getsize(wasm)}


def place_route(onnx: str, out: str) -> Dict[str, Any]:
    """A real UP5K build of a front-runner (`trit compile --device up5k --seeds 1`): logic cells and
    Fmax after routing replace the fit model's prediction; a build that fails is a note, not a figure."""
    r = _trit(["compile", onnx, "--target", "verilog", "--device", "up5k", "--seeds", "1", "-o", out], timeout=3600)
    if r.returncode != 0:
        return {"up5k_place_route_note": _error_line(r)}
    with open(os.path.join(out, "report.json")) as f:
        j = json.load(f)
    return {"up5k_logic_cells": j["logicCells"], "up5k_logic_source": "placed and routed", "up5k_fmax_mhz": j["fmaxMHz"],
            "up5k_images_per_second_at_fmax": j["inferencesPerSecondAtFmax"], "up5k_ebr": j["ebr"], "up5k_spram": j["spram"],
            "up5k_bitstream": os.path.join(out, [n for n in os.listdir(out) if n.endswith(".bin")][0])}
