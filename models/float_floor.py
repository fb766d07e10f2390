#!/usr/bin/env python3
"""The float floor of an agreement figure: the PyTorch reference run again in float64 on the
inputs a float32 golden file recorded, counting the steps whose argmax agrees with float32's.

    models/py models/float_floor.py DIR GOLDEN [--steps N]

No compiler can be expected to agree with PyTorch's float32 more often than exact arithmetic
(float64 is exact to ~1e-16 here) does on the same graph: where float32 rounding decides a
near-tie, the tie is the reference's, not the compiler's. Prints all-step and decisive-step
agreement (a step is decisive when the float32 top-2 gap exceeds 1% of its logit range, as in
`trit verify`).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import safetensors_io  # noqa: E402
from trit_models.checkpoint import load_pretrained  # noqa: E402


@torch.no_grad()
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("golden")
    p.add_argument("--steps", type=int, default=0, help="first N steps only (0: all)")
    args = p.parse_args(argv)
    t0 = time.time()
    g, _ = safetensors_io.load(args.golden)
    ids, reset, ref = g["input.input_ids"].reshape(-1), g["reset"].reshape(-1), g["output.logits"]
    n = len(ids) if args.steps <= 0 else min(args.steps, len(ids))
    model = load_pretrained(args.dir).double().eval()
    agree = decisive = agree_decisive = 0
    states = None
    for t in range(n):
        if states is None or int(reset[t]):
            states = [s.double() for s in model.init_states(1)]
        logits, states = model.step(torch.tensor([int(ids[t])]), states)
        r = ref[t].double()
        top2 = torch.topk(r, 2).values
        dec = bool(top2[0] - top2[1] > 0.01 * (r.max() - r.min()))
        same = int(logits.reshape(-1).argmax()) == int(r.argmax())
        agree += same
        decisive += dec
        agree_decisive += same and dec
        if (t + 1) % 100 == 0:
            print(f"step {t + 1}/{n}: {agree / (t + 1):.2%} agree ({time.time() - t0:.0f}s)", flush=True)
    print(json.dumps({"steps": n, "agreement": agree / n, "decisive": decisive, "decisiveAgreement": agree_decisive / max(decisive, 1), "seconds": round(time.time() - t0)}))


if __name__ == "__main__":
    main()
