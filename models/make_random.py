#!/usr/bin/env python3
"""Random-weight MatMul-free LMs at upstream's shapes, for performance work (generated on demand,
never committed).

    python3 models/make_random.py --shape 370M --out /tmp/mmfree-370m [--dtype bf16] [--golden-steps 8]

Writes upstream's Hugging Face layout (trit_models/checkpoint.py): config.json with upstream's
fields for that size, the weights under upstream's key names in BF16 — model.safetensors, or for
the 2.7B shape two shards + model.safetensors.index.json, as save_pretrained's 5 GB shards split
it — and the tokenizer files (the Mistral tokenizer.model the checkpoints use, tokenizer.json,
tokenizer_config.json, special_tokens_map.json); then model.onnx (canonical decode step; not
with --no-onnx) and golden.safetensors (a few decode steps of the PyTorch model). Weights ~
N(0, 0.02) as upstream's initializer; lower-bound parameters ~ N(0, 1) so the bounds differ by layer;
RMSNorm weights ~ N(1, 0.1), as a trained model's are (not all 1, upstream's initialisation): with
unit norm weights and BF16 embeddings, 127·x_i/max|x| is an exact half-integer whenever some x_i is
exactly half the largest (same BF16 mantissa, one exponent lower) — a tie that float32 rounding
noise breaks either way in PyTorch, so the reference itself is arbitrary there (measured: next-token
agreement 95.9% on the `small` shape with unit norms, against trit's exact-tie half-to-even).

ONNX files are one protobuf, which cannot exceed 2 GB: the 2.7B shape (≈2.7 GB of int8 weights)
is written with ONNX external data (model.onnx + model.onnx.data).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.checkpoint import MAX_SHARD_SIZE, save_pretrained, write_tokenizer  # noqa: E402
from trit_models.data import SHARED  # noqa: E402
from trit_models.golden import lm_golden  # noqa: E402
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM  # noqa: E402
from trit_models.onnx_lm import export_decode_step  # noqa: E402

# ridgerchu/matmulfreellm, mmfreelm/models/hgrn_bit/configuration_hgrn_bit.py
SHAPES = {
    "370M": dict(hidden_size=1024, num_hidden_layers=24),
    "1.3B": dict(hidden_size=2048, num_hidden_layers=24),
    "2.7B": dict(hidden_size=2560, num_hidden_layers=32),
    "tiny": dict(hidden_size=64, num_hidden_layers=2, vocab_size=512),  # same code path, for tests
    "small": dict(hidden_size=128, num_hidden_layers=2),  # the published layout and tokenizer, small enough for CI
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", choices=sorted(SHAPES), required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--dtype", choices=["bf16", "f32"], default="bf16", help="safetensors dtype (upstream ships 16-bit)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--golden-steps", type=int, default=8)
    p.add_argument("--no-onnx", action="store_true")
    p.add_argument("--unit-norms", action="store_true",
                   help="keep every RMSNorm weight at 1 (upstream's initialisation) instead of ~N(1, 0.1); see the module docstring")
    p.add_argument("--max-shard-size", type=float, default=MAX_SHARD_SIZE, help="bytes per weight file (default 5e9, as save_pretrained)")
    p.add_argument("--tokenizer", default=os.path.join(SHARED, "tokenizers", "mistral-7b-v0.1", "tokenizer.model"),
                   help="SentencePiece model copied into the directory (default: Mistral-7B-v0.1's, which the MatMul-free LMs use)")
    p.add_argument("--compute", choices=["auto", "f32", "bf16"], default="auto",
                   help="dtype the model is built and the golden computed in; auto = bf16 for 2.7B, whose "
                        "float32 copy (11 GB) plus export does not fit a 24 GB machine, f32 otherwise")
    args = p.parse_args(argv)
    t0 = time.time()
    torch.manual_seed(args.seed)
    cfg = HGRNBitConfig(**SHAPES[args.shape])
    compute = args.compute if args.compute != "auto" else ("bf16" if args.shape == "2.7B" else "f32")
    if compute == "bf16":  # built directly in bf16: the stored weights are exactly the model's
        torch.set_default_dtype(torch.bfloat16)
    with torch.no_grad():
        model = HGRNBitForCausalLM(cfg).eval()
        model.model.lower_bounds.normal_()
        if not args.unit_norms:
            for name, p in model.named_parameters():
                if name.endswith("norm.weight"):
                    p.normal_(1.0, 0.1)
    n = sum(p.numel() for p in model.parameters())
    print(f"{args.shape}: d={cfg.hidden_size} L={cfg.num_hidden_layers} I={cfg.intermediate} V={cfg.vocab_size}, {n / 1e6:.1f}M parameters, "
          f"computed in {compute}", flush=True)
    os.makedirs(args.out, exist_ok=True)
    dt = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    files = save_pretrained(model, args.out, dtype=dt, max_shard_size=int(args.max_shard_size))
    if cfg.vocab_size == 32000:
        write_tokenizer(args.out, args.tokenizer)
    if args.dtype == "bf16" and compute == "f32":  # the reference must compute what the stored weights say
        with torch.no_grad():  # in place, one tensor at a time: a second copy of 2.7B floats is 11 GB
            for t in model.state_dict().values():
                t.copy_(t.to(torch.bfloat16).float())
    print(f"{', '.join(files)} written ({time.time() - t0:.0f}s)", flush=True)
    if not args.no_onnx:
        export_decode_step(model, os.path.join(args.out, "model.onnx"), external_data=n > 1.8e9)
        print(f"model.onnx written ({time.time() - t0:.0f}s)", flush=True)
    lm_golden(model, os.path.join(args.out, "golden.safetensors"), [[cfg.bos_token_id]], args.golden_steps)
    print(f"golden.safetensors written ({time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
