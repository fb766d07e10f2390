#!/usr/bin/env python3
"""Train a growing neural cellular automaton (ternary, or its float baseline) and measure growth and
regeneration.

    python3 models/train_nca.py --out models/zoo/nca-glyph --iterations 2000 --max-minutes 60
    python3 models/train_nca.py --out build/nca-glyph-float --float --iterations 2000

Sample-pool training with damage (Mordvintsev et al., Distill 2020): a pool of states, each batch
drawn from it; the worst sample of a batch is replaced by the seed, the best `--damage` are
damaged (a random disc erased), and the states after 64–96 steps go back into the pool, so the NCA
learns to grow from a seed, to persist, and to regrow.

Writes: model.safetensors (+ hparams in its metadata), config.json, target.safetensors,
train_log.json (loss curve; growth error and regeneration trials, see `evaluate`); for the ternary
NCA also model.onnx (one step, canonical) and golden.safetensors (`--golden` steps from the seed).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import safetensors_io  # noqa: E402
from trit_models.device import describe, pick_device  # noqa: E402
from trit_models.golden import nca_golden  # noqa: E402
from trit_models.nca import GrowingNCA, alpha_iou, damage, glyph_target, rgba_loss, seed_state  # noqa: E402
from trit_models.onnx_nca import export_nca_step  # noqa: E402


def grad_normalise(model: torch.nn.Module) -> None:
    """Each parameter's gradient scaled to unit norm: long unrolls give gradients whose size varies
    by orders of magnitude between batches (the paper's remedy)."""
    for p in model.parameters():
        if p.grad is not None:
            p.grad /= p.grad.norm() + 1e-8


def train(model: GrowingNCA, target: torch.Tensor, args, device, log) -> None:
    size = target.shape[-1]
    gen = torch.Generator().manual_seed(args.seed)
    pool = seed_state(args.pool, size, model.channels)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.time()
    tgt = target.to(device)
    for it in range(1, args.iterations + 1):
        progress = it / args.iterations
        if args.max_minutes:
            progress = max(progress, (time.time() - t0) / (60 * args.max_minutes))
        for gr in opt.param_groups:
            gr["lr"] = args.lr * (0.1 if progress > 0.6 else 1.0)
        idx = torch.randperm(args.pool, generator=gen)[:args.batch]
        x = pool[idx].clone()
        with torch.no_grad():
            order = rgba_loss(x, target).argsort(descending=True)
        x, idx = x[order], idx[order]
        x[:1] = seed_state(1, size, model.channels)              # the worst: start again from the seed
        if args.damage and it > args.damage_after:
            x[-args.damage:] = damage(x[-args.damage:], gen)   # the best: regrow
        steps = int(torch.randint(64, 97, (1,), generator=gen))
        y = model(x.to(device), steps, gen)
        loss = rgba_loss(y, tgt).mean()
        if not torch.isfinite(loss):
            raise SystemExit(f"iteration {it}: the loss is {loss.item()} — lower --lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_normalise(model)
        opt.step()
        pool[idx] = y.detach().cpu()
        if it % args.log_every == 0 or it == 1 or progress >= 1.0:
            entry = {"iteration": it, "loss": round(loss.item(), 6), "steps": steps, "seconds": round(time.time() - t0, 1)}
            log["curve"].append(entry)
            print(f"iteration {it}: loss {loss.item():.5f} ({steps} steps)  {time.time() - t0:.0f}s", flush=True)
        if progress >= 1.0:
            break
    log["train_seconds"] = round(time.time() - t0, 1)


@torch.no_grad()
def evaluate(model: GrowingNCA, target: torch.Tensor, trials: int = 100, grow_steps: int = 96, settle: int = 200,
             regrow: int = 100, seed: int = 1) -> dict:
    """Growth: per-pixel RGBA mean squared error and alpha IoU after `grow_steps` from one seed cell
    (mean over `trials` seeded runs). Regeneration: grow for `settle` steps, erase a disc covering at
    least 25% of the pattern, run `regrow` steps; a trial recovers when the alpha IoU with the
    target reaches 0.9 within them. Every random draw comes from seeded generators, trial by trial."""
    model.eval()
    size = target.shape[-1]
    gen = torch.Generator().manual_seed(seed)
    x = model(seed_state(trials, size, model.channels), grow_steps, gen)
    growth_mse = rgba_loss(x, target)
    growth_iou = alpha_iou(x, target)
    x = model(x, settle - grow_steps, gen)
    area = (x[:, 3] > 0.1).sum(dim=(1, 2)).float()
    erased = torch.zeros(trials)
    for _ in range(20):  # redraw discs until each erases at least a quarter of its pattern
        short = erased < 0.25
        if not short.any():
            break
        hit = damage(x[short], gen, 0.25, 0.45)
        frac = 1 - (hit[:, 3] > 0.1).sum(dim=(1, 2)).float() / area[short].clamp(min=1)
        better = frac > erased[short]
        xs, es = x[short], erased[short]
        xs[better], es[better] = hit[better], frac[better]
        x[short], erased[short] = xs, es
    recovered = torch.zeros(trials, dtype=torch.bool)
    first = torch.full((trials,), -1)
    for t in range(1, regrow + 1):
        x = model(x, 1, gen)
        ok = alpha_iou(x, target) >= 0.9
        first[ok & ~recovered] = t
        recovered |= ok
    model.train()
    return {
        "growth_steps": grow_steps,
        "growth_rgba_mse": round(growth_mse.mean().item(), 6),
        "growth_alpha_iou": round(growth_iou.mean().item(), 4),
        "regeneration_trials": trials,
        "erased_fraction_min": round(erased.min().item(), 3),
        "recovered_within": regrow,
        "recovered_fraction": round(recovered.float().mean().item(), 3),
        "median_steps_to_recover": int(first[recovered].median().item()) if recovered.any() else None,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=40, help="grid side (cells)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--float", action="store_true", help="the float baseline (no quantization)")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--max-minutes", type=float, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--pool", type=int, default=1024)
    p.add_argument("--damage", type=int, default=3, help="samples of a batch damaged (the best ones)")
    p.add_argument("--damage-after", type=int, default=200, help="damage only after this many iterations")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--golden", type=int, default=96, help="steps recorded in golden.safetensors")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    target = glyph_target(args.size)
    model = GrowingNCA(hidden=args.hidden, quantize=not args.float).to(device)
    hparams = {"channels": model.channels, "hidden": model.hidden, "fire_rate": model.fire_rate, "size": args.size,
               "quantize": model.quantize}
    log = {"hparams": hparams, "args": vars(args), "device": describe(device), "torch": torch.__version__, "curve": []}
    kind = "float baseline" if args.float else "ternary"
    print(f"growing NCA ({kind}), {args.size}×{args.size} grid, hidden {args.hidden}, on {describe(device)}", flush=True)
    train(model, target, args, device, log)
    model = model.cpu()
    log["eval"] = evaluate(model, target, args.trials)
    print("evaluation: " + json.dumps(log["eval"]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    state = {k: v.float() for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(args.out, "model.safetensors"), state, {"hparams": json.dumps(hparams)})
    safetensors_io.save(os.path.join(args.out, "target.safetensors"), {"target": target})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump({"model_type": "trit_growing_nca", **hparams}, f, indent=2)
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)
    if model.quantize:
        export_nca_step(model, os.path.join(args.out, "model.onnx"), args.size)
        nca_golden(model, os.path.join(args.out, "golden.safetensors"), args.size, args.golden)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
