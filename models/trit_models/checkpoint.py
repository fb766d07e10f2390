"""Hugging Face checkpoint directories in upstream's layout (ridger/MMfreeLM-*): config.json,
model.safetensors — or, past `max_shard_size`, model-0000N-of-0000M.safetensors shards with
model.safetensors.index.json as transformers' save_pretrained writes them — and the tokenizer
files. `load_pretrained` is how the reference reads such a directory back (the real checkpoints
or ours)."""
import json
import os
import shutil
from typing import Dict, List

import torch

from . import safetensors_io
from .hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM

INDEX = "model.safetensors.index.json"
#: save_pretrained's default shard size (5 GB, decimal): the published 2.7B has two shards, 4.98 GB + 429 MB.
MAX_SHARD_SIZE = 5_000_000_000


def _nbytes(t: torch.Tensor, dtype: torch.dtype) -> int:
    return t.numel() * torch.empty((), dtype=dtype).element_size()


def save_pretrained(model: HGRNBitForCausalLM, out: str, dtype: torch.dtype = torch.bfloat16,
                    max_shard_size: int = MAX_SHARD_SIZE, extra_config: Dict = None) -> List[str]:
    """Writes config.json and the weights (in `dtype`, upstream ships bfloat16), sharded in
    state-dict order when they exceed `max_shard_size`. Returns the weight files written."""
    os.makedirs(out, exist_ok=True)
    cfg = json.loads(model.config.to_json())
    cfg["torch_dtype"] = {torch.bfloat16: "bfloat16", torch.float16: "float16", torch.float32: "float32"}[dtype]
    cfg.update(extra_config or {})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    sd = model.state_dict()
    shards: List[Dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, t in sd.items():
        n = _nbytes(t, dtype)
        if shards[-1] and size + n > max_shard_size:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += n
    for stale in os.listdir(out):  # a re-run must not leave another layout's files behind
        if stale == INDEX or stale.startswith("model-") and stale.endswith(".safetensors") or stale == "model.safetensors":
            os.remove(os.path.join(out, stale))
    if len(shards) == 1:
        safetensors_io.save(os.path.join(out, "model.safetensors"), shards[0], {"format": "pt"}, dtype=dtype)
        return ["model.safetensors"]
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map = {}
    for name, shard in zip(names, shards):
        safetensors_io.save(os.path.join(out, name), shard, {"format": "pt"}, dtype=dtype)
        weight_map.update({k: name for k in shard})
    total = sum(_nbytes(t, dtype) for t in sd.values())
    with open(os.path.join(out, INDEX), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
    return names


def write_tokenizer(out: str, sp_model: str) -> None:
    """Copies the SentencePiece model and writes the small files the HF repos ship beside it
    (tokenizer_config.json, special_tokens_map.json) and a tokenizer.json converted from it."""
    from .tokenizer_json import sentencepiece_to_tokenizer_json
    shutil.copyfile(sp_model, os.path.join(out, "tokenizer.model"))
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(sentencepiece_to_tokenizer_json(sp_model), f, ensure_ascii=False)
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "model_max_length": 1000000000000000019884624838656,
                   "tokenizer_class": "LlamaTokenizer", "legacy": True, **special}, f, indent=2)


def load_pretrained(path: str, dtype: torch.dtype = torch.float32) -> HGRNBitForCausalLM:
    """A checkpoint directory → the reference model in `dtype` (BF16 weights widen exactly to f32).
    Refuses missing, unexpected or mis-shaped tensors, as trit's compiler does."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = HGRNBitConfig.from_dict(json.load(f))
    if os.path.exists(os.path.join(path, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        with open(os.path.join(path, INDEX)) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        model = HGRNBitForCausalLM(cfg).eval()
    finally:
        torch.set_default_dtype(prev)
    want = model.state_dict()
    seen = set()
    with torch.no_grad():
        for fn in files:
            tensors, _ = safetensors_io.load(os.path.join(path, fn))
            for k, t in tensors.items():
                if k not in want:
                    raise ValueError(f"{fn}: unexpected tensor {k}")
                if tuple(t.shape) != tuple(want[k].shape):
                    raise ValueError(f"{fn}: {k} has shape {list(t.shape)}, expected {list(want[k].shape)}")
                want[k].copy_(t.to(dtype))
                seen.add(k)
            del tensors
    missing = set(want) - seen
    if missing:
        raise ValueError(f"{path}: missing tensors {sorted(missing)[:5]}")
    return model
