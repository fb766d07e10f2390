#!/usr/bin/env python3
"""Golden vectors from the PyTorch reference loading a checkpoint directory — the real
ridger/MMfreeLM-* or one of ours — for `trit verify` to count next-token agreement.

    models/py models/reference_golden.py DIR --steps 1000 --prompt-tokens 500 --out golden.safetensors

The reference (trit_models, float32, weights quantized at load exactly as upstream) reads DIR with
`load_pretrained`, then is fed `<s>` + the first --prompt-tokens tokens of --text (tokenized with
the directory's tokenizer.model; TinyStories by default) and continues greedily, --steps steps in
all; each step's input token and logits are recorded (docs/golden-format.md). Agreement is then
argmax(trit's logits) == argmax(the reference's) at every step, on the same inputs.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.checkpoint import load_pretrained  # noqa: E402
from trit_models.data import SHARED  # noqa: E402
from trit_models.golden import lm_golden  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--prompt-tokens", type=int, default=500)
    p.add_argument("--text", default=os.path.join(SHARED, "tinystories", "TinyStories-valid-head.txt"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.time()
    model = load_pretrained(args.dir)
    cfg = model.config
    prompt = [cfg.bos_token_id]
    tok = os.path.join(args.dir, "tokenizer.model")
    if args.prompt_tokens > 0:
        with open(args.text, encoding="utf-8") as f:
            text = f.read(200_000)
        if os.path.exists(tok):
            import sentencepiece as spm
            ids = spm.SentencePieceProcessor(model_file=tok).encode(text)
        else:  # a small-vocabulary test model: bytes, folded into its vocabulary
            ids = [b % cfg.vocab_size for b in text.encode("utf-8")]
        prompt += ids[:args.prompt_tokens]
    print(f"loaded {args.dir} in {time.time() - t0:.0f}s; {len(prompt)} prompt tokens, {args.steps} steps", flush=True)
    lm_golden(model, args.out, [prompt], args.steps, record_layers=False)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
