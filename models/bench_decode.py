#!/usr/bin/env python3
"""Decode speed and energy per token of the PyTorch reference (`trit bench` runs it as a target).

    python3 models/bench_decode.py models/zoo/mmfree-shakespeare-char [--tokens 256] [--device cuda]
    python3 models/bench_decode.py --shape 370M --device cuda
    python3 models/bench_decode.py models/zoo/mmfree-shakespeare-char --variant int8 --threads 1
    python3 models/bench_decode.py models/zoo/columns-mnist --images 1000      (classifier: images/s)

Times a greedy decode loop (one token per step, batch 1, recurrent state carried) after a warm-up.
`--variant` picks what the matrix layers compute: `ternary` (the reference: BitLinear's quantized
forward, in float arithmetic), `float` (the same architecture's float baseline: BitLinear with
quantization off) or `int8` (that float baseline with PyTorch's dynamic int8 Linear: int8 weights,
activations quantized per call). Also reports the first step's latency, CPU-seconds of the timed
loop (time.process_time) and the process's peak RSS.
On a CUDA device it reads NVML's total-energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ since
driver load; Volta and newer) before and after the loop, through ctypes on libnvidia-ml.so.1, so
no Python NVML package is needed. Prints one JSON object; energy fields are null where NVML is not
available (CPU runs, or no GPU — say so, never substitute an estimate).
"""
import argparse
import ctypes
import json
import os
import sys
import time


def _pin_library_threads(argv):
    """--threads N also caps the BLAS/OpenMP pools, which torch.set_num_threads does not reach in
    Debian's build (OpenBLAS): without this a 1-thread run of the 370M used two cores. Must run
    before torch is imported."""
    for i, a in enumerate(argv):
        n = a.split("=", 1)[1] if a.startswith("--threads=") else argv[i + 1] if a == "--threads" and i + 1 < len(argv) else None
        if n and n != "0":
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ.setdefault(var, n)


_pin_library_threads(sys.argv[1:])
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.device import describe, pick_device  # noqa: E402
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM  # noqa: E402


class NVML:
    """The three NVML calls needed, via ctypes."""

    def __init__(self, index: int):
        self.lib = ctypes.CDLL("libnvidia-ml.so.1")
        if self.lib.nvmlInit_v2() != 0:
            raise OSError("nvmlInit failed")
        self.dev = ctypes.c_void_p()
        if self.lib.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(self.dev)) != 0:
            raise OSError(f"no NVML device {index}")

    def name(self) -> str:
        buf = ctypes.create_string_buffer(96)
        self.lib.nvmlDeviceGetName(self.dev, buf, 96)
        return buf.value.decode()

    def energy_mj(self) -> int:
        e = ctypes.c_ulonglong()
        if self.lib.nvmlDeviceGetTotalEnergyConsumption(self.dev, ctypes.byref(e)) != 0:
            raise OSError("nvmlDeviceGetTotalEnergyConsumption unsupported on this GPU")
        return e.value


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", nargs="?", help="HF-layout model directory")
    p.add_argument("--shape", choices=["370M", "1.3B", "2.7B"], help="random weights at an upstream shape instead")
    p.add_argument("--tokens", type=int, default=256)
    p.add_argument("--warmup", type=int, default=16)
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--variant", choices=["ternary", "float", "int8"], default="ternary")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--min-seconds", type=float, default=0.0, help="keep decoding past --tokens until this much time has passed")
    p.add_argument("--images", type=int, default=0, help="classifier folder: time this many MNIST test images")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if args.images:
        return bench_classifier(args, device)
    if args.shape:
        from make_random import SHAPES
        model = HGRNBitForCausalLM(HGRNBitConfig(**SHAPES[args.shape]))
    elif args.folder:
        from export import load_lm
        model = load_lm(args.folder)
    else:
        p.error("give a model folder or --shape")
    dt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    model = apply_variant(model.to(device=device, dtype=dt).eval(), args.variant, device)
    nvml = None
    if device.type == "cuda":
        try:
            nvml = NVML(device.index or 0)
        except OSError as e:
            print(f"NVML unavailable: {e}", file=sys.stderr)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.no_grad():
        states = [s.to(device=device, dtype=dt) for s in model.init_states(1)]
        tok = torch.tensor([model.config.bos_token_id], device=device)
        t_first = time.perf_counter()
        logits, states = model.step(tok, states)
        tok = logits.argmax(-1)
        sync()
        first_ms = (time.perf_counter() - t_first) * 1000
        for _ in range(args.warmup):
            logits, states = model.step(tok, states)
            tok = logits.argmax(-1)
        sync()
        e0 = nvml.energy_mj() if nvml else None
        rapl = Rapl()
        r0 = rapl.read()
        c0 = time.process_time()
        t0 = time.perf_counter()
        done = 0
        while done < args.tokens or time.perf_counter() - t0 < args.min_seconds:
            logits, states = model.step(tok, states)
            tok = logits.argmax(-1)
            done += 1
        sync()
        sec = time.perf_counter() - t0
        cpu = time.process_time() - c0
        r1 = rapl.read()
        e1 = nvml.energy_mj() if nvml else None
    joules = (e1 - e0) / 1000 if nvml else None
    args.tokens = done
    print(json.dumps({
        "model": args.folder or args.shape, "device": describe(device), "gpu": nvml.name() if nvml else None, "dtype": args.dtype,
        "variant": args.variant, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "tokens": done, "seconds": round(sec, 4), "tokens_per_second": round(done / sec, 2),
        "first_token_ms": round(first_ms, 3), "cpu_seconds": round(cpu, 4), "peak_rss_mib": peak_rss_mib(),
        "rapl_joules": rapl.joules(r0, r1),
        "joules": joules, "joules_per_token": joules / args.tokens if joules is not None else None,
        "average_watts": joules / sec if joules is not None else None,
        "how": "measured: wall clock around the decode loop" + ("; NVML total-energy counter" if nvml else "; no GPU/NVML, so no energy figure"),
        "date": time.strftime("%Y-%m-%d"),
    }))


def apply_variant(model, variant: str, device):
    """The matrix layers of `variant` (module docstring); the rest of the model is unchanged."""
    from trit_models.quant import BitLinear
    if variant == "ternary":
        return model
    bitlinears = [m for m in model.modules() if isinstance(m, BitLinear)]
    for m in bitlinears:
        m.quantize = False
    if variant == "int8":
        if device.type != "cpu":
            raise SystemExit("--variant int8 uses PyTorch's dynamic quantization, which runs on the CPU only")
        for m in bitlinears:
            lin = torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
            lin.load_state_dict({k: v for k, v in m.state_dict().items() if not k.startswith("norm.")})
            q = torch.quantization.quantize_dynamic(torch.nn.Sequential(lin), {torch.nn.Linear}, dtype=torch.qint8)[0]
            m.forward = (lambda mod, ql: (lambda x: ql(mod.norm(x))))(m, q)
    return model


class Rapl:
    """CPU package energy from RAPL (/sys/class/powercap/intel-rapl:N/energy_uj), when readable
    (root only on most kernels; absent in most VMs). Counters wrap at max_energy_range_uj."""

    def __init__(self, root="/sys/class/powercap"):
        self.domains = []
        if not os.path.isdir(root):
            return
        for d in sorted(os.listdir(root)):
            path = os.path.join(root, d)
            if d.startswith("intel-rapl:") and d.count(":") == 1:
                try:
                    with open(os.path.join(path, "max_energy_range_uj")) as f:
                        top = int(f.read())
                    self._read(path)
                    self.domains.append((path, top))
                except OSError:
                    pass

    @staticmethod
    def _read(path):
        with open(os.path.join(path, "energy_uj")) as f:
            return int(f.read())

    def read(self):
        return [self._read(p) for p, _ in self.domains] if self.domains else None

    def joules(self, before, after):
        if before is None or after is None:
            return None
        uj = sum(a - b if a >= b else a + top - b for (_, top), b, a in zip(self.domains, before, after))
        return uj / 1e6


def peak_rss_mib() -> float:
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def bench_classifier(args, device):
    """Batch-1 images/s of a columns classifier over the first --images MNIST test images."""
    from trit_models import safetensors_io
    from trit_models.columns import QuantizedColumns
    from trit_models.data import mnist
    tensors, meta = safetensors_io.load(os.path.join(args.folder, "model.safetensors"))
    model = QuantizedColumns(**json.loads(meta["hparams"]))
    model.load_state_dict(tensors)
    if model.hparams["attention"]:
        model.use_gate_means = True
    model = apply_variant(model.to(device).eval(), args.variant, device)
    images, labels = mnist("t10k")
    images, labels = images[: args.images].to(device), labels[: args.images]
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.no_grad():
        t_first = time.perf_counter()
        model(images[:1])
        sync()
        first_ms = (time.perf_counter() - t_first) * 1000
        for i in range(min(args.warmup, len(images))):
            model(images[i:i + 1])
        rapl = Rapl()
        r0 = rapl.read()
        c0 = time.process_time()
        t0 = time.perf_counter()
        correct = 0
        for i in range(len(images)):
            correct += int(model(images[i:i + 1]).argmax(-1).item() == int(labels[i]))
        sync()
        sec = time.perf_counter() - t0
        cpu = time.process_time() - c0
        r1 = rapl.read()
    print(json.dumps({
        "model": args.folder, "device": describe(device), "variant": args.variant, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "images": len(images), "seconds": round(sec, 4), "images_per_second": round(len(images) / sec, 2),
        "accuracy": correct / len(images), "first_image_ms": round(first_ms, 3), "cpu_seconds": round(cpu, 4), "peak_rss_mib": peak_rss_mib(),
        "rapl_joules": rapl.joules(r0, r1), "how": "measured: wall clock around a batch-1 loop", "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
