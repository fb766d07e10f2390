#!/usr/bin/env python3
"""PyTorch reference for a character LM on held-out text: golden vectors (docs/golden-format.md)
for the first N characters of the validation split, teacher-forced from zero state, with every
block's output recorded. `trit verify model --golden OUT` then gives next-character agreement
with PyTorch and the per-layer errors over the same characters.

    models/py models/char_reference.py models/zoo/mmfree-shakespeare-char --chars 2000 --out /tmp/val2000.safetensors
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load_lm  # noqa: E402
from trit_models.data import CharData  # noqa: E402
from trit_models.golden import lm_golden  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--chars", type=int, default=2000)
    p.add_argument("--data", default=None, help="the training text (default: tinyshakespeare)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    data = CharData(args.data) if args.data else CharData()
    ids = data.val[:args.chars].tolist()
    lm_golden(load_lm(args.folder), args.out, [ids + [0]], args.chars)
    print(f"wrote {args.out}: {args.chars} validation characters, teacher-forced")


if __name__ == "__main__":
    main()
