#!/usr/bin/env python3
"""Write `calibration.safetensors` beside a zoo model, from its training data.

    models/py models/make_calibration.py models/zoo/mmfree-shakespeare-char          # characters (vocab.json)
    models/py models/make_calibration.py models/zoo/mmfree-tinystories-small \\
        --data $TRIT_SHARED_DATA/tinystories/TinyStories-train-first1000.txt               # its tokenizer.model
    models/py models/make_calibration.py models/zoo/columns-mnist                     # MNIST training images

trit compile/verify/inspect pick the file up without a flag (trit_models/calibration.py).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.calibration import image_calibration, lm_calibration  # noqa: E402
from trit_models.data import SHARED, CharData, TokenData, mnist  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--data", default=None, help="training text (default: tinyshakespeare for character models)")
    p.add_argument("--sequences", type=int, default=8)
    p.add_argument("--length", type=int, default=64)
    args = p.parse_args(argv)
    out = os.path.join(args.folder, "calibration.safetensors")
    with open(os.path.join(args.folder, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") == "trit_quantized_columns":
        images, _ = mnist("train")
        image_calibration(out, images)
        print(f"wrote {out}: 256 MNIST training images")
        return
    tok = os.path.join(args.folder, "tokenizer.model")
    if os.path.exists(tok):
        if not args.data:
            raise SystemExit("a tokenizer model needs --data <training text>")
        data = TokenData(args.data, tok)
    else:
        data = CharData(args.data) if args.data else CharData(os.path.join(SHARED, "tinyshakespeare", "input.txt"))
        vocab_path = os.path.join(args.folder, "vocab.json")
        if os.path.exists(vocab_path):
            with open(vocab_path) as f:
                if json.load(f) != data.vocab:
                    raise SystemExit(f"{vocab_path} is not the vocabulary of the training text; pass --data")
    lm_calibration(out, data.train, args.sequences, args.length)
    print(f"wrote {out}: {args.sequences} × {args.length} training tokens")


if __name__ == "__main__":
    main()
