#!/usr/bin/env python3
"""PyTorch side of `align4j bench --device cuda`: the same model and shapes, eager PyTorch on the same GPU.

A Llama-style decoder as align4j builds it (RMSNorm, grouped-query attention with rotary positions in the
rotate-half layout, SwiGLU, tied embeddings, no biases), written as a user would in eager PyTorch, with
F.scaled_dot_product_attention (PyTorch's fused attention) for the training pass. Measures

  train_tokens_per_s   forward + next-token cross-entropy + backward + grad-norm clip (1.0) + AdamW, per step
  sample_tokens_per_s  prompts x group sequences: one prefill, then a KV-cache decoding loop (a preallocated
                       cache, one token per step, softmax + torch.multinomial on the GPU) for new_tokens steps

each the median of --repeats timed runs after a warm-up, with torch.cuda.synchronize() before every clock
read. float32 with TF32 off (as align4j's default); --bf16 runs under torch.autocast(bfloat16).
Prints one JSON object. Usage: python3 bench/torch_gpu_bench.py [--d 768 --layers 12 ...] [--bf16]

--model-config FILE (a Hugging Face config.json, e.g. bench/configs/deepseek-v2-lite.json) measures transformers'
own modelling code instead: AutoModelForCausalLM.from_config with random weights, built on the device (bf16
weights with --bf16, float32 otherwise; sdpa attention where the architecture supports it), the same training
step on it (optionally with PEFT LoRA adapters, --lora-r, and gradient checkpointing) and transformers'
generate for sampling (temperature 1, exactly --new-tokens per sequence, num_return_sequences = --group). The
model flags (--d ... --vocab) are refused beside it; the JSON keys are the same. Usage:
  python3 bench/torch_gpu_bench.py --model-config bench/configs/deepseek-v2-lite.json --bf16 --lora-r 16 \
      --gradient-checkpointing --batch 8 --seq 512 --prompts 8 --group 8 --prompt-len 64 --new-tokens 128
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def attention(q, k, v, causal):
    """PyTorch's fused attention (GQA without copying keys); a plain version for old PyTorch (local checks)."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=q.shape[1] != k.shape[1])
    rep = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    s = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    if causal:
        t = q.shape[2]
        s = s.masked_fill(torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return torch.softmax(s, -1) @ v


def rotate(x, cos, sin):
    # x [B, H, T, hd]; cos/sin [T, hd] (rotate-half layout)
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(nn.Module):
    def __init__(self, d, heads, kv_heads, ffn):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.norm1, self.norm2 = RMSNorm(d), RMSNorm(d)
        self.q = nn.Linear(d, heads * self.hd, bias=False)
        self.k = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.v = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o = nn.Linear(heads * self.hd, d, bias=False)
        self.gate = nn.Linear(d, ffn, bias=False)
        self.up = nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def qkv(self, x, cos, sin):
        b, t, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        return rotate(q, cos, sin), rotate(k, cos, sin), v

    def finish(self, x, attn):
        b, _, t, _ = attn.shape
        x = x + self.o(attn.transpose(1, 2).reshape(b, t, -1))
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))

    def forward(self, x, cos, sin):
        q, k, v = self.qkv(x, cos, sin)
        return self.finish(x, attention(q, k, v, True))

    def step(self, x, cos, sin, kc, vc, pos):
        """One new token per row; kc/vc [B, kvH, cap, hd] preallocated, filled up to pos."""
        q, k, v = self.qkv(x, cos, sin)
        kc[:, :, pos] = k[:, :, 0]
        vc[:, :, pos] = v[:, :, 0]
        return self.finish(x, attention(q, kc[:, :, :pos + 1], vc[:, :, :pos + 1], False))


class Model(nn.Module):
    def __init__(self, vocab, d, layers, heads, kv_heads, ffn, max_pos, theta=10000.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, kv_heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(d)
        hd = d // heads
        inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = torch.arange(max_pos, dtype=torch.float64)[:, None] * inv[None, :]
        self.register_buffer("cos", torch.cat((ang.cos(), ang.cos()), -1).float(), persistent=False)
        self.register_buffer("sin", torch.cat((ang.sin(), ang.sin()), -1).float(), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def logits(self, x):
        return self.norm(x) @ self.embed.weight.t()

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos[:t], self.sin[:t])
        return self.logits(x)

    def prefill(self, ids, caches):
        t = ids.shape[1]
        x = self.embed(ids)
        cos, sin = self.cos[:t], self.sin[:t]
        for blk, (kc, vc) in zip(self.blocks, caches):
            q, k, v = blk.qkv(x, cos, sin)
            kc[:, :, :t] = k
            vc[:, :, :t] = v
            x = blk.finish(x, attention(q, k, v, True))
        return self.logits(x[:, -1])

    def decode(self, tokens, pos, caches):
        x = self.embed(tokens[:, None])
        cos, sin = self.cos[pos:pos + 1], self.sin[pos:pos + 1]
        for blk, (kc, vc) in zip(self.blocks, caches):
            x = blk.step(x, cos, sin, kc, vc, pos)
        return self.logits(x[:, -1])


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()



class PeakMemory:
    """Peak GPU memory of each measured phase, as the *_peak_gpu_gib keys (nothing on the CPU)."""

    def __init__(self, dev):
        self.cuda = dev.type == "cuda"
        self.values = {}

    def reset(self):
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()

    def read(self, key):
        if self.cuda:
            self.values[key] = round(torch.cuda.max_memory_allocated() / 2**30, 2)

def timed(fn, repeats):
    fn()  # warm-up: kernels chosen, allocator filled
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# The model flags and their defaults (the project's benchmark model); --model-config replaces them all.
MODEL_FLAGS = {"d": 256, "layers": 4, "heads": 8, "kv_heads": 4, "ffn": 688, "vocab": 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--kv-heads", type=int)
    ap.add_argument("--ffn", type=int)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--device", default="cuda", help="cpu only to check this script where there is no GPU")
    ap.add_argument("--hf-generate", action="store_true",
                    help="also time Hugging Face transformers' generate (a Qwen2 model of the same shape, sdpa, "
                         "bf16 with --bf16; what TRL samples with when it does not use vLLM)")
    ap.add_argument("--skip-train", action="store_true", help="measure sampling only")
    ap.add_argument("--model-config", metavar="FILE",
                    help="a Hugging Face config.json: transformers' own model of it (random weights) instead of "
                         "the model flags, generate for sampling")
    ap.add_argument("--lora-r", type=int, default=0,
                    help="with --model-config: train PEFT LoRA adapters of this rank (all-linear, alpha 2r) "
                         "instead of every weight")
    ap.add_argument("--gradient-checkpointing", action="store_true",
                    help="with --model-config: transformers' gradient checkpointing in the training step")
    ap.add_argument("--skip-sample", action="store_true", help="with --model-config: measure training only")
    ap.add_argument("--experts-implementation", default=None,
                    help="with --model-config: transformers' experts_implementation for MoE layers (eager, "
                         "grouped_mm, batched_mm; default: transformers' choice)")
    a = ap.parse_args()
    given = [f for f in MODEL_FLAGS if getattr(a, f) is not None]
    if a.model_config:
        if given:
            ap.error("--model-config sets the model: drop " + ", ".join("--" + f.replace("_", "-") for f in given))
        return hf_model_main(a)
    if a.lora_r or a.gradient_checkpointing or a.experts_implementation or a.skip_sample:
        ap.error("--lora-r, --gradient-checkpointing, --skip-sample and --experts-implementation need --model-config")
    for f, v in MODEL_FLAGS.items():
        if getattr(a, f) is None:
            setattr(a, f, v)

    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    amp = torch.autocast(dev.type, dtype=torch.bfloat16) if a.bf16 else contextlib.nullcontext()
    max_pos = max(a.seq, a.prompt_len + a.new_tokens) + 8
    model = Model(a.vocab, a.d, a.layers, a.heads, a.kv_heads, a.ffn, max_pos).to(dev)
    params = sum(p.numel() for p in model.parameters())
    # fused=True: one kernel for the whole update on the GPU (the fastest AdamW PyTorch has).
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1,
                            fused=dev.type == "cuda")
    ids = torch.randint(0, a.vocab, (a.batch, a.seq), device=dev)

    def train_step():
        with amp:
            logits = model(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)

    peak = PeakMemory(dev)

    peak.reset()
    train_s = timed(train_step, a.repeats) if not a.skip_train else float("nan")
    peak.read("train_peak_gpu_gib")

    # The sampling peak is sampling's own, as align4j bench measures it: the optimizer state goes (the weights and
    # their gradients stay).
    opt = None
    if dev.type == "cuda":
        torch.cuda.empty_cache()

    rows = a.prompts * a.group
    kvh, hd = a.kv_heads, a.d // a.heads
    cap = a.prompt_len + a.new_tokens
    prompts = torch.randint(3, a.vocab, (a.prompts, a.prompt_len), device=dev)
    cache_dtype = torch.bfloat16 if a.bf16 else torch.float32

    @torch.no_grad()
    def sample():
        with amp:
            # Prefill each prompt once, then give its cache rows to its group (as align4j's sampler does).
            pc = [(torch.empty(a.prompts, kvh, cap, hd, device=dev, dtype=cache_dtype),
                   torch.empty(a.prompts, kvh, cap, hd, device=dev, dtype=cache_dtype)) for _ in model.blocks]
            logits = model.prefill(prompts, pc).repeat_interleave(a.group, 0)
            caches = [(k.repeat_interleave(a.group, 0), v.repeat_interleave(a.group, 0)) for k, v in pc]
            out = []
            for i in range(a.new_tokens):
                probs = torch.softmax(logits.float(), -1)
                tok = torch.multinomial(probs, 1)[:, 0]
                out.append(tok)
                if i + 1 < a.new_tokens:
                    logits = model.decode(tok, a.prompt_len + i, caches)
            return torch.stack(out, 1)

    peak.reset()
    sample_s = timed(sample, a.repeats)
    peak.read("sample_peak_gpu_gib")
    hf = {}
    if a.hf_generate:
        hf = hf_generate(a, dev, prompts, peak)
    print(json.dumps({
        **peak.values, **hf,
        "backend": "torch-eager-" + dev.type + ("-bf16" if a.bf16 else "-fp32"),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "params": params,
        "train_tokens_per_s": round(a.batch * a.seq / train_s, 2),
        "train_step_ms": round(train_s * 1e3, 2),
        "sample_tokens_per_s": round(rows * a.new_tokens / sample_s, 2),
        "sample_ms": round(sample_s * 1e3, 2),
        "shape": {k: getattr(a, k) for k in ("d", "layers", "heads", "kv_heads", "ffn", "vocab", "batch", "seq",
                                             "prompts", "group", "prompt_len", "new_tokens")},
    }))


def hf_generate(a, dev, prompts, peak):
    """transformers' generate on a Qwen2ForCausalLM of the same shape (random weights): sampling at temperature 1,
    exactly new_tokens per sequence (min_new_tokens, no eos), num_return_sequences = group."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    dtype = torch.bfloat16 if a.bf16 else torch.float32
    cfg = Qwen2Config(vocab_size=a.vocab, hidden_size=a.d, intermediate_size=a.ffn, num_hidden_layers=a.layers,
                      num_attention_heads=a.heads, num_key_value_heads=a.kv_heads, tie_word_embeddings=True,
                      max_position_embeddings=a.prompt_len + a.new_tokens + 8)
    m = Qwen2ForCausalLM(cfg).to(dev, dtype=dtype).eval()
    m.config._attn_implementation = "sdpa"

    @torch.no_grad()
    def gen():
        return m.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=True, temperature=1.0,
                          top_k=0, top_p=1.0, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens,
                          num_return_sequences=a.group, pad_token_id=0, eos_token_id=None)

    peak.reset()
    s = timed(gen, max(1, min(a.repeats, 3)))
    out = {"hf_generate_tokens_per_s": round(a.prompts * a.group * a.new_tokens / s, 2),
           "hf_generate_ms": round(s * 1e3, 2)}
    peak.read("hf_generate_peak_gpu_gib")
    import transformers
    out["transformers"] = transformers.__version__
    return out


def read_hf_config(path):
    """transformers' config of a config.json file: the file as AutoConfig.from_pretrained reads a checkpoint's,
    with the pre-transformers-5 `rope_theta` + `rope_scaling` spelling (the released DeepSeek-V2 configs) written as
    `rope_parameters`, and `auto_map` (the Hub repository's remote code, not used here) dropped."""
    from transformers import AutoConfig
    with open(path) as f:
        d = json.load(f)
    d.pop("auto_map", None)
    scaling = d.pop("rope_scaling", None)
    if "rope_parameters" not in d and ("rope_theta" in d or scaling):
        rope = dict(scaling or {})
        rope["rope_type"] = rope.pop("type", rope.get("rope_type", "default"))
        rope["rope_theta"] = d.pop("rope_theta", 10000.0)
        d["rope_parameters"] = rope
    rope = d.get("rope_parameters") or {}
    for k in ("rope_theta", "factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "attention_factor",
              "low_freq_factor", "high_freq_factor"):
        if isinstance(rope.get(k), int):
            rope[k] = float(rope[k])  # the released files write 40 and 32 where transformers' validation wants floats
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(d, f)
        return AutoConfig.from_pretrained(tmp)


def hf_model_main(a):
    """--model-config: transformers' model of the config, random weights, on the device."""
    import transformers
    from transformers import AutoModelForCausalLM
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    dtype = torch.bfloat16 if a.bf16 else torch.float32
    cfg = read_hf_config(a.model_config)
    # random token ids only: no special token may end a sequence early
    cfg.pad_token_id, cfg.bos_token_id, cfg.eos_token_id = None, None, None
    cfg.use_cache = True
    attn = "sdpa"
    extra = {"experts_implementation": a.experts_implementation} if a.experts_implementation else {}
    with dev:  # parameters created (and initialised) on the device: no 63 GB float32 copy on the host
        try:
            model = AutoModelForCausalLM.from_config(cfg, dtype=dtype, attn_implementation=attn, **extra)
        except (ValueError, ImportError) as e:  # an architecture without sdpa support
            print(f"sdpa not available ({e}); eager attention", file=sys.stderr)
            attn = "eager"
            model = AutoModelForCausalLM.from_config(cfg, dtype=dtype, attn_implementation=attn, **extra)
    model = model.to(dev)
    params = sum(p.numel() for p in model.parameters())
    vocab = cfg.vocab_size
    lora = {}
    if a.lora_r:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=a.lora_r, lora_alpha=2 * a.lora_r, lora_dropout=0.0,
                                                 target_modules="all-linear", task_type="CAUSAL_LM"))
        lora = {"r": a.lora_r, "targets": "all-linear",
                "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    if a.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        if a.lora_r:
            model.enable_input_require_grads()  # checkpointed layers need an input that requires grad
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=dev.type == "cuda")
    ids = torch.randint(0, vocab, (a.batch, a.seq), device=dev)

    def train_step():
        model.train()
        logits = model(input_ids=ids, use_cache=False).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)

    peak = PeakMemory(dev)

    weights_gib = round(sum(p.numel() * p.element_size() for p in model.parameters()) / 2**30, 3)
    peak.reset()
    train_s = timed(train_step, a.repeats) if not a.skip_train else float("nan")
    if not a.skip_train:
        peak.read("train_peak_gpu_gib")
    del opt
    for p in trainable:
        p.grad = None
    if dev.type == "cuda":
        torch.cuda.empty_cache()

    prompts = torch.randint(3, vocab, (a.prompts, a.prompt_len), device=dev)
    model.eval()

    @torch.no_grad()
    def gen():
        return model.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                              temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=a.new_tokens,
                              min_new_tokens=a.new_tokens, num_return_sequences=a.group, pad_token_id=0,
                              eos_token_id=None)

    peak.reset()
    sample_s = timed(gen, a.repeats) if not a.skip_sample else float("nan")
    if not a.skip_sample:
        peak.read("sample_peak_gpu_gib")
    rows = a.prompts * a.group
    base = model.get_base_model() if a.lora_r else model
    print(json.dumps({
        **peak.values,
        "backend": "transformers-" + dev.type + ("-bf16" if a.bf16 else "-fp32"),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "model_config": a.model_config,
        "architecture": type(base).__name__,
        "attn_implementation": attn,
        "experts_implementation": getattr(base.config, "_experts_implementation", None),
        "gradient_checkpointing": a.gradient_checkpointing,
        "params": params,
        "weights_gpu_gib": weights_gib,
        **({"lora": lora} if lora else {}),
        "train_tokens_per_s": round(a.batch * a.seq / train_s, 2),
        "train_step_ms": round(train_s * 1e3, 2),
        "sample_tokens_per_s": round(rows * a.new_tokens / sample_s, 2),
        "sample_ms": round(sample_s * 1e3, 2),
        "sampler": "transformers generate",
        "shape": {"d": cfg.hidden_size, "layers": cfg.num_hidden_layers, "heads": cfg.num_attention_heads,
                  "kv_heads": getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads,
                  "ffn": cfg.intermediate_size, "vocab": vocab,
                  **{k: getattr(a, k) for k in ("batch", "seq", "prompts", "group", "prompt_len", "new_tokens")}},
    }))


if __name__ == "__main__":
    main()
