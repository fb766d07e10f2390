"""Checkpoint directories in upstream's layout: sharding as save_pretrained does it, the index, the
reference reading them back; the tokenizer.json written beside them; the weight scale's mean."""
import json
import os

import torch

from trit_models.checkpoint import load_pretrained, save_pretrained
from trit_models.data import SHARED
from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM
from trit_models.quant import weight_scale


def _model():
    torch.manual_seed(0)
    return HGRNBitForCausalLM(HGRNBitConfig(vocab_size=300, hidden_size=32, num_hidden_layers=2)).eval()


def test_sharded_round_trip(tmp_path):
    m = _model()
    files = save_pretrained(m, str(tmp_path), dtype=torch.bfloat16, max_shard_size=40_000)
    assert len(files) > 2 and files[0] == f"model-00001-of-{len(files):05d}.safetensors"
    index = json.load(open(tmp_path / "model.safetensors.index.json"))
    assert set(index["weight_map"]) == set(m.state_dict())
    assert index["metadata"]["total_size"] == sum(t.numel() * 2 for t in m.state_dict().values())
    cfg = json.load(open(tmp_path / "config.json"))
    assert cfg["torch_dtype"] == "bfloat16" and cfg["model_type"] == "hgrn_bit"
    back = load_pretrained(str(tmp_path))
    for k, t in m.state_dict().items():
        assert torch.equal(back.state_dict()[k], t.to(torch.bfloat16).float()), k
    # Re-saving as one file removes the shards and the index.
    save_pretrained(m, str(tmp_path), dtype=torch.bfloat16)
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("model")) == ["model.safetensors"]


def test_load_refuses_a_mis_shaped_tensor(tmp_path):
    m = _model()
    save_pretrained(m, str(tmp_path))
    cfg = json.load(open(tmp_path / "config.json"))
    cfg["hidden_size"] = 64
    json.dump(cfg, open(tmp_path / "config.json", "w"))
    try:
        load_pretrained(str(tmp_path))
    except ValueError as e:
        assert "has shape" in str(e)
    else:
        raise AssertionError("loaded a mis-shaped checkpoint")


def test_weight_scale_is_the_correctly_rounded_mean():
    torch.manual_seed(1)
    w = torch.randn(257, 129) * 0.02
    exact = float(w.double().abs().mean())
    s = weight_scale(w)
    assert s.dtype == torch.float32
    assert float(s) == float(torch.tensor(1.0 / torch.tensor(exact, dtype=torch.float32)))


def test_tokenizer_json_from_the_mistral_model():
    from trit_models.tokenizer_json import sentencepiece_to_tokenizer_json
    j = sentencepiece_to_tokenizer_json(os.path.join(SHARED, "tokenizers", "mistral-7b-v0.1", "tokenizer.model"))
    assert len(j["model"]["vocab"]) == 32000 and len(j["model"]["merges"]) == 58980
    assert j["model"]["merges"][0] == "\u2581 t" and j["model"]["byte_fallback"] is True
    assert [t["content"] for t in j["added_tokens"]] == ["<unk>", "<s>", "</s>"]
