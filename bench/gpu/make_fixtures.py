"""Reference fixtures made with transformers and PEFT on the GPU machine (which has no Java).

Writes under OUT (default $OUT/fixtures):
  rope/<name>/     tiny checkpoints whose RoPE is scaled (llama3, linear, dynamic on Llama; yarn on DeepSeek-V2/V3):
                   config.json (transformers 5 writes `rope_parameters`), config_rope_scaling.json (the same model
                   in the older `rope_scaling` form), model.safetensors, expected.json
  peft/<name>/     LoRA adapters saved by PEFT for the tiny Llama/Qwen2/DeepSeek-V3 fixtures of
                   policy/src/test/resources/hf/: adapter_config.json, adapter_model.safetensors, expected.json

expected.json holds input_ids, logits (float32 as computed on the CPU in float32), token_logprobs (float64) and,
where the model's cache makes it meaningful, a greedy continuation. Every scaled fixture is checked to differ from
the same weights with unscaled RoPE, so a loader that ignores the scaling fails its test.

Usage: python3 bench/gpu/make_fixtures.py [OUT]
"""
import copy
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM

HF = os.path.join(os.path.dirname(__file__), "..", "..", "policy", "src", "test", "resources", "hf")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("OUT", "."), "fixtures")
torch.manual_seed(0)


def logits_and_logprobs(model, ids):
    with torch.no_grad():
        logits = model(input_ids=ids).logits.float()
    lp = torch.log_softmax(logits.double(), dim=-1)
    tok = lp[:, :-1, :].gather(-1, ids[:, 1:, None]).squeeze(-1)
    return logits, tok


def randomize_norms(model):
    # As the base fixtures: norm weights away from 1, so a mistake in them shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and p.dim() == 1:
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            if name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f)


def old_style(config_json, rope):
    """The same config in the pre-transformers-5 form: rope_theta at the top, `rope_scaling` with `type`."""
    d = copy.deepcopy(config_json)
    d.pop("rope_parameters", None)
    d["rope_theta"] = rope["rope_theta"]
    scaling = {k: v for k, v in rope.items() if k not in ("rope_theta", "rope_type")}
    scaling["type"] = rope["rope_type"]
    d["rope_scaling"] = scaling
    return d


def rope_fixture(name, config_cls, model_cls, base_kwargs, rope, seq, greedy):
    cfg = config_cls(**base_kwargs, rope_parameters=rope)
    model = model_cls(cfg).float().eval()
    randomize_norms(model)
    got = dict(model.config.rope_parameters)
    assert got.get("rope_type") == rope["rope_type"], (name, got)
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(3, cfg.vocab_size, (2, seq), generator=gen)
    logits, tok = logits_and_logprobs(model, ids)
    # The scaling must matter at this length: compare with unscaled RoPE on the same weights.
    plain_cfg = config_cls(**base_kwargs, rope_parameters={"rope_type": "default", "rope_theta": rope["rope_theta"]})
    plain = model_cls(plain_cfg).float().eval()
    plain.load_state_dict(model.state_dict())
    plain_logits, _ = logits_and_logprobs(plain, ids)
    diff = (plain_logits - logits).abs().max().item()
    assert diff > 1e-3, f"{name}: scaling does not change the logits ({diff})"
    d = os.path.join(OUT, "rope", name)
    model.save_pretrained(d, safe_serialization=True)
    with open(os.path.join(d, "config.json")) as f:
        cj = json.load(f)
    write_json(os.path.join(d, "config_rope_scaling.json"), old_style(cj, cj["rope_parameters"]))
    exp = {"input_ids": ids.tolist(), "logits": logits.tolist(), "token_logprobs": tok.tolist(),
           "max_abs_diff_vs_unscaled": diff, "transformers_version": transformers.__version__}
    if greedy:
        prompt = ids[:1, : seq - 14]
        with torch.no_grad():
            out = model.generate(prompt, max_new_tokens=12, do_sample=False, pad_token_id=0)
        exp["greedy_prompt"] = prompt.tolist()
        exp["greedy_output"] = out[:, prompt.shape[1]:].tolist()
    write_json(os.path.join(d, "expected.json"), exp)
    print(f"rope/{name}: ok, |scaled - unscaled| = {diff:.3g}", flush=True)


def rope_fixtures():
    from transformers import LlamaConfig, LlamaForCausalLM
    llama = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, max_position_embeddings=32, rms_norm_eps=1e-6,
                 tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    # Sequences of 48 tokens pass the 32 positions the scalings are calibrated on.
    # As Llama 3.1: the model's max_position_embeddings is the scaled one, original_max_... the trained one.
    rope_fixture("llama3", LlamaConfig, LlamaForCausalLM, dict(llama, max_position_embeddings=256),
                 {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 32}, 48, True)
    rope_fixture("linear", LlamaConfig, LlamaForCausalLM, dict(llama, max_position_embeddings=64),
                 {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}, 48, True)
    # dynamic NTK: transformers recomputes the frequencies from the longest position seen, so only the full forward
    # is a fixture (a cached decode rotates old keys with old frequencies).
    rope_fixture("dynamic", LlamaConfig, LlamaForCausalLM, llama,
                 {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, 48, False)
    with open(os.path.join(HF, "model_deepseek_v3", "config.json")) as f:
        v3 = json.load(f)
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM
    drop = {"architectures", "transformers_version", "dtype", "torch_dtype", "rope_parameters", "rope_scaling",
            "rope_theta", "model_type"}
    v3kw = {k: v for k, v in v3.items() if k not in drop}
    v3kw["max_position_embeddings"] = 64
    theta = (v3.get("rope_parameters") or {}).get("rope_theta", v3.get("rope_theta", 10000.0))
    # mscale != mscale_all_dim, so both the cos/sin factor and the softmax scale correction are exercised.
    rope_fixture("deepseek_v3_yarn", DeepseekV3Config, DeepseekV3ForCausalLM, v3kw,
                 {"rope_type": "yarn", "rope_theta": theta, "factor": 4.0, "original_max_position_embeddings": 16,
                  "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 0.707}, 40, True)
    try:
        from transformers import DeepseekV2Config, DeepseekV2ForCausalLM
        v2 = dict(vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, q_lora_rank=None,
                  kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, n_routed_experts=8,
                  num_experts_per_tok=2, n_shared_experts=1, first_k_dense_replace=1, n_group=4, topk_group=2,
                  topk_method="group_limited_greedy", routed_scaling_factor=1.0, norm_topk_prob=False,
                  max_position_embeddings=64, rms_norm_eps=1e-6, tie_word_embeddings=False,
                  bos_token_id=1, eos_token_id=2)
        # DeepSeek-V2-Lite's own YaRN settings (factor 40 there).
        rope_fixture("deepseek_v2_yarn", DeepseekV2Config, DeepseekV2ForCausalLM, v2,
                     {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                      "original_max_position_embeddings": 16, "beta_fast": 32.0, "beta_slow": 1.0,
                      "mscale": 0.707, "mscale_all_dim": 0.707}, 40, True)
    except Exception as e:  # noqa: BLE001 - report and go on: the other fixtures stand alone
        print(f"rope/deepseek_v2_yarn: FAILED {type(e).__name__}: {e}", flush=True)


def peft_fixture(name, base, lora_kwargs):
    from peft import LoraConfig, get_peft_model
    src = os.path.join(HF, base)
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32).eval()
    with open(os.path.join(src, "expected.json")) as f:
        ids = torch.tensor(json.load(f)["input_ids"])
    base_logits, _ = logits_and_logprobs(model, ids)
    cfg = LoraConfig(lora_dropout=0.0, init_lora_weights=False, bias="none", task_type="CAUSAL_LM", **lora_kwargs)
    peft_model = get_peft_model(model, cfg).eval()
    logits, tok = logits_and_logprobs(peft_model, ids)
    diff = (logits - base_logits).abs().max().item()
    assert diff > 1e-3, f"{name}: the adapter does not change the logits"
    d = os.path.join(OUT, "peft", name)
    peft_model.save_pretrained(d)
    names = sorted(n for n, _ in peft_model.named_parameters() if "lora_" in n)
    merged = peft_model.merge_and_unload().eval()
    merged_logits, _ = logits_and_logprobs(merged, ids)
    write_json(os.path.join(d, "expected.json"),
               {"base": base, "input_ids": ids.tolist(), "logits": logits.tolist(), "token_logprobs": tok.tolist(),
                "merged_logits": merged_logits.tolist(), "lora_parameter_names": names,
                "max_abs_diff_vs_base": diff, "peft_version": __import__("peft").__version__})
    print(f"peft/{name}: ok ({len(names)} lora tensors), |adapted - base| = {diff:.3g}", flush=True)


def peft_fixtures():
    peft_fixture("llama_all_linear", "model_llama", dict(r=4, lora_alpha=8, target_modules="all-linear"))
    peft_fixture("qwen2_all_linear", "model_qwen2", dict(r=4, lora_alpha=8, target_modules="all-linear"))
    peft_fixture("llama_rslora_subset", "model_llama",
                 dict(r=8, lora_alpha=16, use_rslora=True, target_modules=["q_proj", "v_proj", "down_proj"]))
    try:
        peft_fixture("deepseek_v3_mla", "model_deepseek_v3",
                     dict(r=4, lora_alpha=8,
                          target_modules=["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"]))
    except Exception as e:  # noqa: BLE001
        print(f"peft/deepseek_v3_mla: FAILED {type(e).__name__}: {e}", flush=True)


if __name__ == "__main__":
    print("torch", torch.__version__, "transformers", transformers.__version__, flush=True)
    for step in (rope_fixtures, peft_fixtures):
        try:
            step()
        except Exception as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            print(f"{step.__name__}: FAILED {type(e).__name__}: {e}", flush=True)
