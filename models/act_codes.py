#!/usr/bin/env python3
"""PyTorch's int8 activation codes, for comparing trit's with them.

    models/py models/act_codes.py MODEL --golden golden.safetensors --out codes.safetensors [--steps 200]

MODEL is a zoo folder (config.json + model.safetensors, character or columns model) or a checkpoint
directory. The reference is fed the golden file's inputs step by step (its own state from each
reset), and every BitLinear's codes q = clamp(round(y·127/max|y|)) are recorded in call order —
`q.<k>` int8 [S, width] — with the value before rounding, `pre.<k>` float32, so a comparison can
tell a real difference from a float32 near-tie. `node dist/bench/act-codes.js` reads it.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import quant, safetensors_io  # noqa: E402


def load(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") == "trit_quantized_columns":
        from trit_models.columns import QuantizedColumns
        tensors, meta = safetensors_io.load(os.path.join(folder, "model.safetensors"))
        model = QuantizedColumns(**json.loads(meta["hparams"]))
        model.load_state_dict(tensors)
        if model.hparams["attention"]:
            model.use_gate_means = True
        return model.eval(), "columns"
    from trit_models.checkpoint import load_pretrained
    return load_pretrained(folder).eval(), "lm"


@torch.no_grad()
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--golden", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=200)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model, kind = load(args.model)
    golden, _ = safetensors_io.load(args.golden)
    records = []  # per step: list of (q, pre) in BitLinear call order
    current = []

    def hook(mod, inputs, _out):
        y = mod.norm(inputs[0]).float()
        s = quant.activation_scale(y)
        pre = y * s
        current.append((pre.round().clamp(-128, 127).to(torch.int8).reshape(-1), pre.reshape(-1)))

    for m in model.modules():
        if isinstance(m, quant.BitLinear):
            m.register_forward_hook(hook)
    if kind == "lm":
        ids = golden["input.input_ids"].reshape(-1)
        reset = golden.get("reset", torch.zeros(len(ids), dtype=torch.int32))
        steps = min(args.steps, len(ids))
        states = None
        for t in range(steps):
            if states is None or int(reset[t]):
                states = model.init_states(1)
            current = []
            _, states = model.step(ids[t:t + 1], states)
            records.append(current)
    else:
        images = golden["input.image"]
        steps = min(args.steps, images.shape[0])
        for t in range(steps):
            current = []
            model.infer(images[t:t + 1].float())
            records.append(current)
    tensors = {}
    for k in range(len(records[0])):
        tensors[f"q.{k}"] = torch.stack([r[k][0] for r in records])
        tensors[f"pre.{k}"] = torch.stack([r[k][1] for r in records]).float()
    safetensors_io.save(args.out, tensors, {"format": "trit-act-codes", "steps": str(steps), "bitlinears": str(len(records[0]))})
    print(f"wrote {args.out}: {len(records[0])} BitLinears × {steps} steps")


if __name__ == "__main__":
    main()
