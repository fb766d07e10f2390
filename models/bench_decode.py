#!/usr/bin/env python3
"""Decode speed and energy per token of the PyTorch reference (the GPU figures of the model cards).

    python3 models/bench_decode.py models/zoo/mmfree-shakespeare-char [--tokens 256] [--device cuda]
    python3 models/bench_decode.py --shape 370M --device cuda

Times a greedy decode loop (one token per step, batch 1, recurrent state carried) after a warm-up.
On a CUDA device it reads NVML's total-energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ since
driver load; Volta and newer) before and after the loop, through ctypes on libnvidia-ml.so.1, so
no Python NVML package is needed. Prints one JSON object; energy fields are null where NVML is not
available (CPU runs, or no GPU — say so, never substitute an estimate).
"""
import argparse
import ctypes
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.device import describe, pick_device  # noqa: E402
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM  # noqa: E402


class NVML:
    """The three NVML calls needed, via ctypes."""

    def __init__(self, index: int):
        self.lib = ctypes.CDLL("libnvidia-ml.so.1")
        if self.lib.nvmlInit_v2() != 0:
            raise OSError("nvmlInit failed")
        self.dev = ctypes.c_void_p()
        if self.lib.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(self.dev)) != 0:
            raise OSError(f"no NVML device {index}")

    def name(self) -> str:
        buf = ctypes.create_string_buffer(96)
        self.lib.nvmlDeviceGetName(self.dev, buf, 96)
        return buf.value.decode()

    def energy_mj(self) -> int:
        e = ctypes.c_ulonglong()
        if self.lib.nvmlDeviceGetTotalEnergyConsumption(self.dev, ctypes.byref(e)) != 0:
            raise OSError("nvmlDeviceGetTotalEnergyConsumption unsupported on this GPU")
        return e.value


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", nargs="?", help="HF-layout model directory")
    p.add_argument("--shape", choices=["370M", "1.3B", "2.7B"], help="random weights at an upstream shape instead")
    p.add_argument("--tokens", type=int, default=256)
    p.add_argument("--warmup", type=int, default=16)
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    args = p.parse_args(argv)
    device = pick_device(args.device)
    if args.shape:
        from make_random import SHAPES
        model = HGRNBitForCausalLM(HGRNBitConfig(**SHAPES[args.shape]))
    elif args.folder:
        from export import load_lm
        model = load_lm(args.folder)
    else:
        p.error("give a model folder or --shape")
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    model = model.to(device=device, dtype=dt).eval()
    nvml = None
    if device.type == "cuda":
        try:
            nvml = NVML(device.index or 0)
        except OSError as e:
            print(f"NVML unavailable: {e}", file=sys.stderr)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.no_grad():
        states = [s.to(dt) for s in model.init_states(1)]
        tok = torch.tensor([model.config.bos_token_id], device=device)
        for _ in range(args.warmup):
            logits, states = model.step(tok, states)
            tok = logits.argmax(-1)
        sync()
        e0 = nvml.energy_mj() if nvml else None
        t0 = time.perf_counter()
        for _ in range(args.tokens):
            logits, states = model.step(tok, states)
            tok = logits.argmax(-1)
        sync()
        sec = time.perf_counter() - t0
        e1 = nvml.energy_mj() if nvml else None
    joules = (e1 - e0) / 1000 if nvml else None
    print(json.dumps({
        "model": args.folder or args.shape, "device": describe(device), "gpu": nvml.name() if nvml else None, "dtype": args.dtype,
        "torch": torch.__version__, "tokens": args.tokens, "seconds": round(sec, 4), "tokens_per_second": round(args.tokens / sec, 2),
        "joules": joules, "joules_per_token": joules / args.tokens if joules is not None else None,
        "average_watts": joules / sec if joules is not None else None,
        "how": "measured: wall clock around the decode loop" + ("; NVML total-energy counter" if nvml else "; no GPU/NVML, so no energy figure"),
        "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
