"""DistributedDataParallel on CPU (two gloo processes under torchrun) and the export command."""
import json
import os
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 40


def run(args, **kw):
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_two_process_ddp_training_on_cpu(tmp_path):
    """Two gloo processes, started with exactly the environment torchrun gives its workers
    (MASTER_ADDR/PORT, RANK, LOCAL_RANK, WORLD_SIZE). torchrun itself cannot be the launcher here:
    Debian's torch 1.13 launcher fails under Python 3.11 before starting any worker
    (AttributeError in elastic/multiprocessing/api.py to_map); on the GPU machine's recent
    PyTorch, `torchrun --nproc_per_node N models/train_lm.py …` is the command."""
    data = tmp_path / "text.txt"
    data.write_text(TEXT)
    out = tmp_path / "m"
    args = [sys.executable, os.path.join(MODELS, "train_lm.py"), "--data", str(data), "--out", str(out), "--hidden", "32", "--layers", "1",
            "--intermediate", "64", "--seq", "32", "--batch", "4", "--steps", "6", "--eval-every", "3", "--eval-batches", "1", "--threads", "1"]
    procs = []
    for rank in range(2):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT="29517", RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for p in procs:
        output, _ = p.communicate(timeout=600)
        assert p.returncode == 0, output
    log = json.loads((out / "train_log.json").read_text())
    assert log["world_size"] == 2 and log["steps"] == 6
    assert (out / "model.safetensors").exists() and json.loads((out / "config.json").read_text())["model_type"] == "hgrn_bit"


def test_export_writes_the_canonical_onnx_and_golden(tmp_path):
    data = tmp_path / "text.txt"
    data.write_text(TEXT)
    out = tmp_path / "m"
    run([os.path.join(MODELS, "train_lm.py"), "--data", str(data), "--out", str(out), "--hidden", "32", "--layers", "2",
         "--intermediate", "64", "--seq", "32", "--batch", "4", "--steps", "3", "--eval-every", "3", "--eval-batches", "1"])
    run([os.path.join(MODELS, "export.py"), str(out), "--prompts", "To be", "--steps", "8"])
    m = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input] == ["input_ids", "state.0", "state.1"]
    assert [o.name for o in m.graph.output] == ["logits", "new_state.0", "new_state.1"]
    assert m.opset_import[0].version == 17
    ternary = [t for t in m.graph.initializer if t.name.endswith(".weight_ternary")]
    assert len(ternary) == 2 * 6 + 1 and all(t.data_type == onnx.TensorProto.INT8 for t in ternary)
    assert (out / "golden.safetensors").stat().st_size > 0


def test_random_shape_generator_writes_upstream_layout(tmp_path):
    out = tmp_path / "r"
    run([os.path.join(MODELS, "make_random.py"), "--shape", "tiny", "--out", str(out), "--golden-steps", "3"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "hgrn_bit" and cfg["hidden_size"] == 64
    sys.path.insert(0, MODELS)
    from trit_models import safetensors_io
    tensors, _ = safetensors_io.load(str(out / "model.safetensors"))
    assert tensors["model.layers.1.mlp.gate_proj.weight"].dtype.is_floating_point and str(tensors["lm_head.weight"].dtype) == "torch.bfloat16"
    onnx.checker.check_model(onnx.load(str(out / "model.onnx")))
    assert (out / "golden.safetensors").exists()


def test_external_data_export_matches_the_single_file(tmp_path):
    """Big shapes (2.7B) write their tensors to model.onnx.data as they are made; the result must
    hold exactly the tensors of the one-file export."""
    sys.path.insert(0, MODELS)
    import numpy as np
    import torch
    from onnx import numpy_helper
    from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM
    from trit_models.onnx_lm import export_decode_step
    torch.manual_seed(0)
    model = HGRNBitForCausalLM(HGRNBitConfig(hidden_size=64, num_hidden_layers=2, vocab_size=128)).eval()
    export_decode_step(model, str(tmp_path / "one.onnx"))
    export_decode_step(model, str(tmp_path / "ext.onnx"), external_data=True)
    assert (tmp_path / "ext.onnx.data").stat().st_size > 64 * 64
    assert (tmp_path / "ext.onnx").stat().st_size < (tmp_path / "one.onnx").stat().st_size / 4
    onnx.checker.check_model(str(tmp_path / "ext.onnx"))
    a = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "one.onnx")).graph.initializer}
    b = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "ext.onnx")).graph.initializer}
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k
