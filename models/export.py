#!/usr/bin/env python3
"""Export a trained model directory to the zoo layout trit reads.

    python3 models/export.py models/zoo/mmfree-shakespeare-char [--prompts "ROMEO:" "JULIET:"] [--bf16]
    python3 models/export.py models/zoo/columns-mnist

Reads config.json + model.safetensors (+ vocab.json) and writes, next to them:
  model.onnx          the canonical ONNX (docs/onnx-format.md): the LM's single decode step, or the
                      columns classifier's image → logits
  golden.safetensors  inputs, the PyTorch model's outputs and intermediates (docs/golden-format.md):
                      prompts then greedy continuation for the LM, the first 256 MNIST test images
                      for the classifier
  calibration.safetensors  inputs from the training split (character models and the classifier),
                      which trit uses to size fixed-point formats without being asked
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models import safetensors_io  # noqa: E402
from trit_models.golden import lm_golden  # noqa: E402
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM  # noqa: E402
from trit_models.onnx_lm import export_decode_step  # noqa: E402
import make_calibration  # noqa: E402

DEFAULT_PROMPTS = ["ROMEO:\n", "First Citizen:\nBefore we proceed", "KING HENRY VI:\n", "To be, or not"]


def load_lm(folder: str) -> HGRNBitForCausalLM:
    """An HF-layout directory (config.json + model.safetensors, upstream key names) → the model."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = HGRNBitConfig.from_dict(json.load(f))
    if cfg.model_type != "hgrn_bit":
        raise SystemExit(f"{folder}/config.json: model_type is {cfg.model_type!r}, expected 'hgrn_bit'")
    model = HGRNBitForCausalLM(cfg)
    tensors, _ = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    want = model.state_dict()
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want))
    if missing or extra:
        raise SystemExit(f"{folder}/model.safetensors: missing {missing[:5]}, unexpected {extra[:5]}")
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(want[k].shape):
            raise SystemExit(f"{folder}/model.safetensors: tensor {k} has shape {tuple(v.shape)}, config says {tuple(want[k].shape)}")
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    return model.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--prompts", nargs="*", default=None, help="golden prompts (text for char models)")
    p.add_argument("--steps", type=int, default=64, help="golden steps per prompt")
    p.add_argument("--bf16", action="store_true", help="store model.safetensors in bfloat16 (upstream's dtype) and export from those weights")
    args = p.parse_args(argv)
    with open(os.path.join(args.folder, "config.json")) as f:
        if json.load(f).get("model_type") == "trit_quantized_columns":
            return export_columns_dir(args.folder)
    model = load_lm(args.folder)
    if args.bf16:
        # Round once, then everything (safetensors, ONNX, golden) comes from the same stored weights.
        sd = {k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}
        safetensors_io.save(os.path.join(args.folder, "model.safetensors"), sd, {"format": "pt"})
        model.load_state_dict({k: v.float() for k, v in sd.items()})
    export_decode_step(model, os.path.join(args.folder, "model.onnx"))
    vocab_path = os.path.join(args.folder, "vocab.json")
    if os.path.exists(vocab_path):
        with open(vocab_path) as f:
            index = {c: i for i, c in enumerate(json.load(f))}
        prompts = [[index[c] for c in s] for s in (args.prompts or DEFAULT_PROMPTS)]
    else:
        prompts = [[int(t) for t in s.split(",")] for s in (args.prompts or ["1"])]
    lm_golden(model, os.path.join(args.folder, "golden.safetensors"), prompts, args.steps)
    print(f"wrote {args.folder}/model.onnx and golden.safetensors ({len(prompts)} × {args.steps} steps)")
    if os.path.exists(vocab_path):
        try:
            make_calibration.main([args.folder])
        except SystemExit as e:  # a vocabulary from another text: the user runs make_calibration.py --data
            print(f"no calibration.safetensors written: {e}")


def export_columns_dir(folder: str) -> None:
    """A trained columns directory → model.onnx + golden.safetensors (first 256 MNIST test images)."""
    from trit_models.columns import QuantizedColumns
    from trit_models.data import mnist
    from trit_models.golden import classifier_golden
    from trit_models.onnx_columns import export_columns
    tensors, meta = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    model = QuantizedColumns(**json.loads(meta["hparams"]))
    model.load_state_dict(tensors)
    if model.hparams["attention"]:
        model.use_gate_means = True
    model.eval()
    export_columns(model, os.path.join(folder, "model.onnx"))
    images, _ = mnist("t10k")
    classifier_golden(model, os.path.join(folder, "golden.safetensors"), images[:256], record_names=("pooled",))
    print(f"wrote {folder}/model.onnx and golden.safetensors (256 test images)")
    make_calibration.main([folder])


if __name__ == "__main__":
    main()
