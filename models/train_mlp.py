#!/usr/bin/env python3
"""A ternary MNIST MLP written the way users write one, trained and exported by torch.onnx.export.

    models/py models/train_mlp.py OUT_DIR [--epochs 8] [--hidden 256] [--seed 0]

Not trit's exporter: plain nn.Linear layers whose forward quantizes on the fly — weights by
abs-mean to {-1, 0, +1} (BitNet b1.58, Ma et al. 2024, "The Era of 1-bit LLMs"), activations by
per-image abs-max to int8 — with the straight-through estimator `x + (q - x).detach()`, then
`torch.onnx.export(..., opset_version=13)` with constant folding. It is the foreign model of the
UP5K flow (docs/verilog.md): 784-H-H-10, trained on CPU in about a minute per epoch.

Writes OUT_DIR/model.onnx, OUT_DIR/golden.safetensors (the first 256 test images and their float
logits), OUT_DIR/calibration.safetensors (256 training images) and OUT_DIR/train_log.json (test
accuracy per epoch).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.data import mnist  # noqa: E402
from trit_models.device import pick_device  # noqa: E402
from trit_models import safetensors_io  # noqa: E402
from trit_models.calibration import image_calibration  # noqa: E402


class TernaryLinear(nn.Linear):
    """nn.Linear with abs-mean ternary weights and per-row abs-max int8 inputs, straight-through."""

    def forward(self, x):
        w = self.weight
        ws = w.abs().mean().clamp(min=1e-5)
        wq = w + ((w / ws).round().clamp(-1, 1) * ws - w).detach()
        xs = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
        xq = x + ((x * xs).round().clamp(-128, 127) / xs - x).detach()
        return F.linear(xq, wq, self.bias)


class MLP(nn.Module):
    def __init__(self, d_in=784, hidden=256, classes=10):
        super().__init__()
        self.fc1 = TernaryLinear(d_in, hidden)
        self.fc2 = TernaryLinear(hidden, hidden)
        self.out = TernaryLinear(hidden, classes)

    def forward(self, image):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(image)))))


def accuracy(model, x, y, device):
    model.eval()
    with torch.no_grad():
        right = 0
        for i in range(0, len(x), 1000):
            right += (model(x[i:i + 1000].to(device)).argmax(-1).cpu() == y[i:i + 1000]).sum().item()
    model.train()
    return right / len(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-images", type=int, default=60000, help="use the first N training images (tests)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    device = pick_device()
    xtr, ytr = mnist("train")
    xtr, ytr = xtr[:args.train_images], ytr[:args.train_images]
    xte, yte = mnist("t10k")
    model = MLP(hidden=args.hidden).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=args.epochs * (len(xtr) // 128))
    log = []
    for epoch in range(args.epochs):
        t0 = time.time()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 127, 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(model(xtr[idx].to(device)), ytr[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, xte, yte, device)
        log.append({"epoch": epoch + 1, "test_accuracy": acc, "seconds": round(time.time() - t0, 1)})
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f} ({log[-1]['seconds']} s)", file=sys.stderr)
    model = model.cpu().eval()
    torch.onnx.export(model, (xte[:1],), os.path.join(args.out, "model.onnx"), opset_version=13,
                      do_constant_folding=True, input_names=["image"], output_names=["logits"])
    with torch.no_grad():
        logits = model(xte[:256])
    # docs/golden-format.md, kind "batch": what `trit verify --golden` reads.
    safetensors_io.save(os.path.join(args.out, "golden.safetensors"),
                        {"input.image": xte[:256].contiguous(), "reset": torch.ones(256, dtype=torch.int32),
                         "output.logits": logits.contiguous()},
                        {"format": "trit-golden", "version": "1", "kind": "batch", "reference": f"torch {torch.__version__}"})
    image_calibration(os.path.join(args.out, "calibration.safetensors"), xtr)
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump({"hparams": vars(args), "torch": torch.__version__, "log": log}, f, indent=1)


if __name__ == "__main__":
    main()
