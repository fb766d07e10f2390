#!/usr/bin/env python3
"""Train the quantized-columns classifier on MNIST and export it to a zoo folder.

    python3 models/train_columns.py --out models/zoo/columns-mnist --columns 8 --width 64 --max-minutes 30

Writes: model.safetensors (+ hparams in its metadata), config.json, model.onnx (canonical form),
golden.safetensors (the first 256 test images through the PyTorch model), train_log.json.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import safetensors_io  # noqa: E402
from trit_models.columns import QuantizedColumns  # noqa: E402
from trit_models.data import mnist  # noqa: E402
from trit_models.device import describe, pick_device  # noqa: E402
from trit_models.golden import classifier_golden  # noqa: E402
from trit_models.onnx_columns import export_columns  # noqa: E402
from trit_models.quant import BitLinear  # noqa: E402


@torch.no_grad()
def accuracy(model, x, y, device, batch=1000):
    model.eval()
    right = 0
    for i in range(0, len(x), batch):
        right += (model(x[i:i + batch].to(device)).argmax(-1).cpu() == y[i:i + batch]).sum().item()
    model.train()
    return right / len(x)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--dim", type=int, default=None, help="column output width (default: --width)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--attention", action="store_true", help="float-model attention gates (folded to their means at export)")
    p.add_argument("--float", action="store_true", help="train the float baseline (no quantization); not exportable")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--max-minutes", type=float, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (tests)")
    p.add_argument("--golden", type=int, default=256)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    elif torch.get_num_threads() < (os.cpu_count() or 1):
        torch.set_num_threads(os.cpu_count() or 1)
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    xtr, ytr = mnist("train")
    xte, yte = mnist("t10k")
    if args.train_limit:
        xtr, ytr = xtr[:args.train_limit], ytr[:args.train_limit]
    model = QuantizedColumns(columns=args.columns, width=args.width, dim=args.dim or args.width, hidden=args.hidden,
                             rounds=args.rounds, attention=args.attention, seed=args.seed).to(device)
    if args.float:
        for m in model.modules():
            if isinstance(m, BitLinear):
                m.quantize = False
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    total = args.epochs * steps_per_epoch
    log = {"hparams": model.hparams, "args": vars(args), "device": describe(device), "torch": torch.__version__,
           "ternary_weights": model.ternary_weight_count(), "epochs": []}
    print(f"columns={args.columns} width={args.width}: {model.ternary_weight_count():,} ternary weights on {describe(device)}", flush=True)
    t0, step = time.time(), 0
    gen = torch.Generator().manual_seed(args.seed)
    done = False
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), args.batch):
            step += 1
            progress = step / total
            if args.max_minutes:
                progress = max(progress, (time.time() - t0) / (60 * args.max_minutes))
            lr = args.lr * 0.5 * (1 + torch.cos(torch.tensor(min(progress, 1.0) * 3.14159265)).item())
            for gr in opt.param_groups:
                gr["lr"] = lr
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr[idx].to(device)), ytr[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            model.hebbian_update()
            if progress >= 1.0:
                done = True
                break
        acc = accuracy(model, xte, yte, device)
        log["epochs"].append({"epoch": epoch + 1, "loss": round(loss.item(), 4), "test_acc": acc, "seconds": round(time.time() - t0, 1)})
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}  test accuracy {acc:.4f}  {time.time() - t0:.0f}s", flush=True)
        if done:
            break
    log["wall_seconds"] = round(time.time() - t0, 1)
    model = model.cpu()
    if args.attention:
        gated = accuracy(model, xte, yte, torch.device("cpu"))
        model.fold_gates(xtr[:2000])
        folded = accuracy(model, xte, yte, torch.device("cpu"))
        log["attention"] = {"test_acc_with_gates": gated, "test_acc_gates_folded_to_means": folded}
        print(f"attention gates: {gated:.4f} with gates, {folded:.4f} folded to their means (what the export keeps)", flush=True)
    log["test_acc"] = accuracy(model, xte, yte, torch.device("cpu"))
    os.makedirs(args.out, exist_ok=True)
    state = {k: v.float() for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(args.out, "model.safetensors"), state, {"hparams": json.dumps(model.hparams)})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump({"model_type": "trit_quantized_columns", **model.hparams}, f, indent=2)
    if not args.float:
        export_columns(model, os.path.join(args.out, "model.onnx"))
        classifier_golden(model, os.path.join(args.out, "golden.safetensors"), xte[:args.golden], record_names=("pooled",))
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"final test accuracy {log['test_acc']:.4f}; wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
