"""Golden vectors (docs/golden-format.md) from the PyTorch reference itself."""
from typing import List

import torch

from . import safetensors_io


@torch.no_grad()
def lm_golden(model, path: str, prompts: List[List[int]], steps: int, record_layers: bool = True) -> None:
    """Each prompt is fed token by token, then the model's own greedy continuation, `steps` tokens
    per sequence in all; records inputs, logits, and (record_layers) new states and each block's
    output — 0.4 MB per step at the 370M shape, left out for long agreement runs."""
    model.eval()
    ids, reset, outs = [], [], {}
    for prompt in prompts:
        states = model.init_states(1)
        tok = prompt[0]
        for t in range(steps):
            ids.append(tok)
            reset.append(1 if t == 0 else 0)
            rec = {}
            logits, states = model.step(torch.tensor([tok]), states, record=rec)
            if not record_layers:
                rec = {}
            rec["logits"] = logits
            for n, s in enumerate(states if record_layers else []):
                rec[f"new_state.{n}"] = s
            for k, v in rec.items():
                outs.setdefault(k, []).append(v.reshape(-1).float().cpu())
            tok = prompt[t + 1] if t + 1 < len(prompt) else int(logits.argmax(-1))
    S = len(ids)
    tensors = {"input.input_ids": torch.tensor(ids, dtype=torch.int64).reshape(S, 1), "reset": torch.tensor(reset, dtype=torch.int32)}
    for k, v in outs.items():
        kind = "layer" if k.endswith(".out") else "output"
        tensors[f"{kind}.{k}"] = torch.stack(v)
    safetensors_io.save(path, tensors, {"format": "trit-golden", "version": "1", "kind": "sequence", "reference": f"torch {torch.__version__}"})


@torch.no_grad()
def classifier_golden(model, path: str, images: torch.Tensor, record_names=()) -> None:
    """Logits (and named intermediates, if the model records them) for a batch of images [S, 784]."""
    model.eval()
    rec = {}
    logits = model.infer(images, record=rec)
    S = images.shape[0]
    tensors = {"input.image": images.float().reshape(S, -1), "reset": torch.ones(S, dtype=torch.int32), "output.logits": logits.float()}
    for k in record_names:
        tensors[f"layer.{k}"] = rec[k].float().reshape(S, -1)
    safetensors_io.save(path, tensors, {"format": "trit-golden", "version": "1", "kind": "batch", "reference": f"torch {torch.__version__}"})


@torch.no_grad()
def nca_golden(model, path: str, size: int, steps: int, seed: int = 1) -> None:
    """One NCA step per golden row: the state and update mask going in (from one seed cell, the
    masks drawn from a seeded generator), the new state coming out. Rows are independent (the state
    is an input of the exported step), so the kind is "batch"."""
    from .nca import seed_state
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    x = seed_state(1, size, model.channels)
    states, masks, outs = [], [], []
    for _ in range(steps):
        m = model.random_mask(x, gen)
        y = model.step(x, m)
        states.append(x.reshape(-1))
        masks.append(m.reshape(-1))
        outs.append(y.reshape(-1))
        x = y
    tensors = {"input.state": torch.stack(states), "input.mask": torch.stack(masks), "reset": torch.ones(steps, dtype=torch.int32),
               "output.new_state": torch.stack(outs)}
    safetensors_io.save(path, tensors, {"format": "trit-golden", "version": "1", "kind": "batch", "reference": f"torch {torch.__version__}"})
