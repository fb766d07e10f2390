"""Datasets: tinyshakespeare characters and MNIST IDX files, from $TRIT_SHARED_DATA (models/README.md)."""
import gzip
import os
import struct
from typing import List, Tuple

import torch

SHARED = os.environ.get("TRIT_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


class CharData:
    """Character-level corpus with a 90/10 train/validation split (the first 90% trains)."""

    def __init__(self, path: str = os.path.join(SHARED, "tinyshakespeare", "input.txt")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.vocab: List[str] = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.vocab)}
        ids = torch.tensor([self.index[c] for c in text], dtype=torch.long)
        n = int(0.9 * len(ids))
        self.train, self.val = ids[:n], ids[n:]

    def encode(self, s: str) -> List[int]:
        return [self.index[c] for c in s]

    def decode(self, ids) -> str:
        return "".join(self.vocab[i] for i in ids)

    def batch(self, split: str, batch: int, seq: int, gen: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
        """Random windows: (inputs [B, T], targets [B, T])."""
        data = self.train if split == "train" else self.val
        start = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
        x = torch.stack([data[s:s + seq] for s in start.tolist()])
        y = torch.stack([data[s + 1:s + seq + 1] for s in start.tolist()])
        return x, y


class TokenData(CharData):
    """A text tokenized by a SentencePiece model (the Mistral tokenizer the MatMul-free LMs use),
    with the same 90/10 split and random windows as CharData."""

    def __init__(self, path: str, tokenizer: str):
        import sentencepiece as spm
        self.sp = spm.SentencePieceProcessor(model_file=tokenizer)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        ids = torch.tensor(self.sp.encode(text), dtype=torch.long)
        self.vocab_size = self.sp.get_piece_size()
        n = int(0.9 * len(ids))
        self.train, self.val = ids[:n], ids[n:]

    def encode(self, s: str) -> List[int]:
        return self.sp.encode(s)

    def decode(self, ids) -> str:
        return self.sp.decode([int(i) for i in ids])


def read_idx(path: str) -> torch.Tensor:
    """An IDX file (optionally gzipped) as a uint8 tensor; checks the magic and sizes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    if magic not in (2049, 2051):
        raise ValueError(f"{path}: not an IDX label/image file (magic {magic})")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    n = 1
    for d in dims:
        n *= d
    body = data[4 + 4 * ndim:]
    if len(body) != n:
        raise ValueError(f"{path}: expected {n} bytes of data, found {len(body)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def mnist(split: str, root: str = os.path.join(SHARED, "mnist")) -> Tuple[torch.Tensor, torch.Tensor]:
    """(images [N, 784] float in [0, 1], labels [N] long) for split 'train' or 't10k'."""
    x = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz")).reshape(-1, 784).float() / 255.0
    y = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz")).long()
    return x, y
