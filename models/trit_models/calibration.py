"""Calibration sets: representative inputs from a model's own training data, beside the model.

trit sizes some fixed-point formats (norm outputs, activation scales, recurrent state) from the
ranges a model's values take on representative inputs. `trit compile|verify|inspect` read
`calibration.safetensors` beside the model without being asked (docs/golden-format.md): the golden
layout with inputs only — `input.<name>` [S, …] and `reset` [S] (1 starts a new sequence from zero
state). It is drawn from the training split, never from the test or validation data a golden file
checks against.
"""
import torch

from . import safetensors_io


def lm_calibration(path: str, train_ids: torch.Tensor, sequences: int = 8, length: int = 64, seed: int = 1234) -> None:
    """`sequences` random windows of `length` token ids from the training split."""
    gen = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(train_ids) - length, (sequences,), generator=gen).tolist()
    ids = torch.cat([train_ids[s:s + length] for s in starts]).to(torch.int64)
    reset = torch.zeros(len(ids), dtype=torch.int32)
    reset[::length] = 1
    save(path, {"input.input_ids": ids.reshape(-1, 1), "reset": reset}, f"{sequences} windows of {length} tokens from the training split")


def image_calibration(path: str, images: torch.Tensor, count: int = 256, seed: int = 1234) -> None:
    """`count` random training images [S, 784] in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    pick = torch.randperm(images.shape[0], generator=gen)[:count]
    x = images[pick].float().reshape(count, -1)
    save(path, {"input.image": x, "reset": torch.ones(count, dtype=torch.int32)}, f"{count} random images from the training split")


def save(path: str, tensors, what: str) -> None:
    safetensors_io.save(path, tensors, {"format": "trit-calibration", "version": "1", "source": what})
