"""The MatMul-free LM: upstream's keys and config, scan = recurrence, prefill = decode, it learns."""
import json

import torch
import torch.nn.functional as F

from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM, linear_recurrence

# Written out from upstream's HGRNBitForCausalLM (ridgerchu/matmulfreellm, mmfreelm/models/hgrn_bit/modeling_hgrn_bit.py), for 2 layers.
UPSTREAM_LAYER_KEYS = [
    "attn_norm.weight", "attn.i_proj.weight", "attn.i_proj.norm.weight", "attn.f_proj.weight", "attn.f_proj.norm.weight",
    "attn.g_proj.weight", "attn.g_proj.norm.weight", "attn.g_norm.weight", "attn.o_proj.weight", "attn.o_proj.norm.weight",
    "mlp_norm.weight", "mlp.gate_proj.weight", "mlp.gate_proj.norm.weight", "mlp.down_proj.weight", "mlp.down_proj.norm.weight",
]
UPSTREAM_KEYS = ["model.embeddings.weight", "model.lower_bounds", "model.norm.weight", "lm_head.weight", "lm_head.norm.weight"] + [
    f"model.layers.{n}.{k}" for n in range(2) for k in UPSTREAM_LAYER_KEYS]


def tiny(vocab=65, d=32, layers=2, inter=64):
    torch.manual_seed(0)
    return HGRNBitForCausalLM(HGRNBitConfig(vocab_size=vocab, hidden_size=d, num_hidden_layers=layers, intermediate_size=inter))


def test_state_dict_keys_and_shapes_are_upstreams():
    m = tiny()
    sd = m.state_dict()
    assert sorted(sd) == sorted(UPSTREAM_KEYS)
    assert tuple(sd["model.lower_bounds"].shape) == (2, 32)
    assert tuple(sd["model.layers.0.mlp.gate_proj.weight"].shape) == (128, 32)  # [2I, d]
    assert tuple(sd["model.layers.0.mlp.down_proj.norm.weight"].shape) == (64,)
    assert tuple(sd["lm_head.weight"].shape) == (65, 32)


def test_config_fields_and_intermediate_rule():
    cfg = HGRNBitConfig(hidden_size=1024, num_hidden_layers=24)
    assert cfg.intermediate == 2816  # the 370M model
    assert HGRNBitConfig(hidden_size=2560).intermediate == 6912  # 2.7B
    d = json.loads(cfg.to_json())
    for k in ["model_type", "attn_mode", "num_heads", "expand_ratio", "hidden_ratio", "intermediate_size", "hidden_act",
              "rms_norm_eps", "use_lower_bound", "use_short_conv", "conv_size", "share_conv_kernel", "tie_word_embeddings",
              "vocab_size", "bos_token_id", "eos_token_id", "max_position_embeddings", "use_cache"]:
        assert k in d, k
    assert d["model_type"] == "hgrn_bit" and d["rms_norm_eps"] == 1e-6 and d["attn_mode"] == "fused_recurrent"


def test_chunked_scan_equals_the_recurrence():
    torch.manual_seed(2)
    f, x, h0 = torch.rand(3, 37, 5), torch.randn(3, 37, 5), torch.randn(3, 5)
    h, ref = h0, []
    for t in range(37):
        h = f[:, t] * h + x[:, t]
        ref.append(h)
    for chunk in (1, 8, 16, 64):
        assert torch.allclose(linear_recurrence(f, x, h0, chunk=chunk), torch.stack(ref, 1), atol=1e-5)


def test_prefill_equals_token_by_token_decode():
    m = tiny().eval()
    with torch.no_grad():
        m.model.lower_bounds.normal_()
        ids = torch.randint(0, 65, (2, 19))
        logits, last = m(ids)
        states, steps = m.init_states(2), []
        for t in range(19):
            out, states = m.step(ids[:, t], states)
            steps.append(out)
    assert torch.allclose(torch.stack(steps, 1), logits, atol=1e-4)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(states, last))


def test_lower_bounds_start_at_zero_and_rise():
    m = tiny(layers=4)
    with torch.no_grad():
        m.model.lower_bounds.normal_()
    lb = m.model.lower_bound_table()
    assert torch.all(lb[0] == 0)
    assert torch.all(lb[1:] >= lb[:-1]) and torch.all(lb < 1)


def test_a_few_training_steps_reduce_the_loss():
    m = tiny()
    torch.manual_seed(3)
    data = torch.randint(0, 8, (64,)).repeat(8)  # a repeating pattern is learnable fast
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    losses = []
    for step in range(30):
        s = torch.randint(0, len(data) - 33, (8,))
        x = torch.stack([data[i:i + 32] for i in s.tolist()])
        y = torch.stack([data[i + 1:i + 33] for i in s.tolist()])
        logits, _ = m(x)
        loss = F.cross_entropy(logits.reshape(-1, 65), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5, losses
