"""safetensors read/write in plain Python (Debian has no python3-safetensors). The format: an
8-byte little-endian header length, a JSON header, then raw little-endian tensor data."""
import json
import struct
from typing import Dict, Tuple

import numpy as np
import torch

_DT = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "I8": np.int8, "U8": np.uint8, "I16": np.int16}
_NAME = {np.dtype(v): k for k, v in _DT.items()}


def save(path: str, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str] = None, dtype: torch.dtype = None) -> None:
    """Writes tensors (any torch dtype; bfloat16 as BF16) to `path` atomically, converting each to
    `dtype` when given. One tensor's bytes at a time: a 2.7B-parameter model is not copied whole."""
    def raw(t: torch.Tensor):
        t = t.detach().cpu()
        if dtype is not None:
            t = t.to(dtype)
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().tobytes(), "BF16"
        a = t.numpy()
        return a.tobytes(), _NAME[a.dtype]

    header, off = {"__metadata__": metadata or {}}, 0
    for name, t in tensors.items():
        dt = dtype or t.dtype
        size = t.numel() * torch.empty((), dtype=dt).element_size()
        code = "BF16" if dt == torch.bfloat16 else _NAME[torch.empty((), dtype=dt).numpy().dtype]
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + size]}
        off += size
    h = json.dumps(header).encode()
    h += b" " * (-(8 + len(h)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, t in tensors.items():
            b, _ = raw(t)
            assert len(b) == header[name]["data_offsets"][1] - header[name]["data_offsets"][0], name
            f.write(b)
    import os
    os.replace(tmp, path)


def load(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Reads a safetensors file into torch tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        raw = data[8 + n + a:8 + n + b]
        if e["dtype"] == "BF16":
            out[name] = torch.frombuffer(bytearray(raw), dtype=torch.int16).view(torch.bfloat16).reshape(e["shape"])
        else:
            out[name] = torch.from_numpy(np.frombuffer(raw, dtype=_DT[e["dtype"]]).copy()).reshape(e["shape"])
    return out, meta
