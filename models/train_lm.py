#!/usr/bin/env python3
"""Train the MatMul-free LM on a character corpus, or on SentencePiece tokens with --tokenizer;
writes an HF-layout model directory.

    python3 models/train_lm.py --out models/zoo/mmfree-shakespeare-char --steps 3000
    python3 models/train_lm.py --out DIR --tokenizer tokenizer.model --data tinystories.txt ...
    torchrun --nproc_per_node 2 models/train_lm.py ...        # DDP: NCCL on GPUs, gloo on CPU

Output directory: config.json (upstream hgrn_bit fields), model.safetensors (upstream keys, float32),
vocab.json (the characters), train_log.json (losses, wall time, hardware). With --tokenizer: the
published checkpoints' layout instead — BF16 weights, bos 1 / eos 2, and the tokenizer files
(tokenizer.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import safetensors_io  # noqa: E402
from trit_models.data import CharData, TokenData  # noqa: E402
from trit_models.checkpoint import save_pretrained, write_tokenizer  # noqa: E402
from trit_models.device import describe, init_distributed, pick_device  # noqa: E402
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM  # noqa: E402
from trit_models.quant import BitLinear  # noqa: E402


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="text file (default: $TRIT_SHARED_DATA/tinyshakespeare/input.txt)")
    p.add_argument("--tokenizer", default=None, help="SentencePiece tokenizer.model: train on its tokens (needs --data)")
    p.add_argument("--out", required=True)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=None)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=32, help="per process")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (with the LR schedule completed) after this much wall time")
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--eval-batches", type=int, default=20)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores; give 1 per run when runs share a machine)")
    p.add_argument("--float", action="store_true", help="the float baseline: same architecture, no quantization (not exportable)")
    return p.parse_args(argv)


@torch.no_grad()
def evaluate(model, data, args, device, gen):
    model.eval()
    losses = []
    for _ in range(args.eval_batches):
        x, y = data.batch("val", args.batch, args.seq, gen)
        logits, _ = model(x.to(device))
        losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1)).item())
    model.train()
    return sum(losses) / len(losses)


def main(argv=None):
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    elif torch.get_num_threads() < (os.cpu_count() or 1):
        torch.set_num_threads(os.cpu_count() or 1)
    device = pick_device(args.device)
    rank, world = init_distributed(device)
    torch.manual_seed(args.seed)
    if args.tokenizer:
        data = TokenData(args.data, args.tokenizer)
        cfg = HGRNBitConfig(vocab_size=data.vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                            intermediate_size=args.intermediate)
    else:
        data = CharData(args.data) if args.data else CharData()
        cfg = HGRNBitConfig(vocab_size=len(data.vocab), hidden_size=args.hidden, num_hidden_layers=args.layers,
                            intermediate_size=args.intermediate, bos_token_id=0, eos_token_id=0)
    model = HGRNBitForCausalLM(cfg).to(device)
    if args.float:
        for m in model.modules():
            if isinstance(m, BitLinear):
                m.quantize = False
    ddp = model
    if world > 1:
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed + rank)
    eval_gen = torch.Generator().manual_seed(12345)
    log = {"config": json.loads(cfg.to_json()), "args": vars(args), "device": describe(device), "world_size": world,
           "torch": torch.__version__, "evals": [], "train_loss": []}
    params = sum(p.numel() for p in model.parameters())
    if rank == 0:
        print(f"HGRN-bit d={args.hidden} L={args.layers} I={cfg.intermediate} V={cfg.vocab_size}: {params / 1e6:.2f}M params on {describe(device)} × {world}", flush=True)
    t0 = time.time()
    step = 0
    while True:
        step += 1
        # Progress in [0, 1]: by steps, or by wall time when --max-minutes is set (whichever is ahead),
        # so a time-limited run still finishes its cosine schedule.
        progress = step / args.steps
        if args.max_minutes:
            progress = max(progress, (time.time() - t0) / (60 * args.max_minutes))
        if world > 1:  # every process must agree on when to stop
            t = torch.tensor([progress], device=device)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            progress = t.item()
        last = progress >= 1.0
        lr = args.lr * min(1.0, step / args.warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = data.batch("train", args.batch, args.seq, gen)
        logits, _ = ddp(x.to(device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        log["train_loss"].append(round(loss.item(), 4))
        if rank == 0 and (step % args.eval_every == 0 or last):
            val = evaluate(model, data, args, device, eval_gen)
            el = time.time() - t0
            log["evals"].append({"step": step, "train_loss": round(loss.item(), 4), "val_loss": round(val, 4), "seconds": round(el, 1)})
            print(f"step {step} ({progress:.0%})  train {loss.item():.4f}  val {val:.4f}  lr {lr:.2e}  {el:.0f}s "
                  f"({step * args.batch * args.seq * world / el:.0f} tok/s)", flush=True)
            save(args.out, model, cfg, data, log, t0, args.tokenizer)
        if last:
            break
    if world > 1:
        torch.distributed.destroy_process_group()


def save(out, model, cfg, data, log, t0, tokenizer=None):
    """Writes the model directory (called at every evaluation, so a long run always has a result)."""
    log["wall_seconds"] = round(time.time() - t0, 1)
    log["steps"] = len(log["train_loss"])
    os.makedirs(out, exist_ok=True)
    if tokenizer:  # the published checkpoints' layout: BF16 weights and the tokenizer files
        save_pretrained(model, out, dtype=torch.bfloat16)
        write_tokenizer(out, tokenizer)
        with open(os.path.join(out, "train_log.json"), "w") as f:
            json.dump(log, f)
        return
    with open(os.path.join(out, "config.json"), "w") as f:
        f.write(cfg.to_json())
    safetensors_io.save(os.path.join(out, "model.safetensors"), {k: v.float() for k, v in model.state_dict().items()}, {"format": "pt"})
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump(data.vocab, f)
    with open(os.path.join(out, "train_log.json"), "w") as f:
        json.dump(log, f)


if __name__ == "__main__":
    main()
