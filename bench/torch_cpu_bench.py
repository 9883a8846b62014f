#!/usr/bin/env python3
"""PyTorch side of `align4j bench`: the same model, shapes and fields, on the same CPU.

A Llama-style decoder (RMSNorm, grouped-query attention with rotary positions, SwiGLU, tied head) in
plain eager PyTorch, as a user would write it. Prints one JSON object with the fields of
`align4j bench --json`: params, gemm_gflops, train_tokens_per_s (forward + backward + AdamW),
sample_tokens_per_s (a KV-cache sampling loop over prompts x group sequences) and grpo_step_seconds
(rollout, reward, update with a reference forward, as align4j's GRPO step does).

Run with Debian's PyTorch: /usr/bin/python3 bench/torch_cpu_bench.py [--threads 2] [flags as align4j bench]
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


def rope(x, pos, theta=10000.0):
    # x: [B, H, T, hd]; rotate-half layout as Hugging Face Llama
    hd = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    ang = pos[:, None].float() * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)
    sin = torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Block(nn.Module):
    def __init__(self, d, heads, kv_heads, ffn):
        super().__init__()
        self.h, self.kv, self.hd = heads, kv_heads, d // heads
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.q = nn.Linear(d, heads * self.hd, bias=False)
        self.k = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.v = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o = nn.Linear(heads * self.hd, d, bias=False)
        self.gate = nn.Linear(d, ffn, bias=False)
        self.up = nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def attn(self, x, pos, cache=None):
        B, T, _ = x.shape
        q = self.q(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k(x).view(B, T, self.kv, self.hd).transpose(1, 2)
        v = self.v(x).view(B, T, self.kv, self.hd).transpose(1, 2)
        q, k = rope(q, pos), rope(k, pos)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, 1)
        v = v.repeat_interleave(rep, 1)
        S = k.shape[2]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        if T > 1:  # training or prefill: query t (at position S - T + t) sees keys up to its own position
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            scores = scores.masked_fill(~mask, float("-inf"))
        out = F.softmax(scores, -1) @ v
        return self.o(out.transpose(1, 2).reshape(B, T, -1))

    def forward(self, x, pos, cache=None):
        x = x + self.attn(self.n1(x), pos, cache)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.emb = nn.Embedding(a.vocab, a.d)
        self.blocks = nn.ModuleList(Block(a.d, a.heads, a.kv_heads, a.ffn) for _ in range(a.layers))
        self.norm = RMSNorm(a.d)

    def forward(self, ids, start=0, caches=None):
        x = self.emb(ids)
        pos = torch.arange(start, start + ids.shape[1])
        for i, b in enumerate(self.blocks):
            x = b(x, pos, None if caches is None else caches[i])
        return self.norm(x) @ self.emb.weight.T


def timed(fn, repeats):
    fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = fn()
        out.append((time.perf_counter() - t, r))
    return out


def main():
    p = argparse.ArgumentParser()
    for name, default in [("d", 256), ("layers", 4), ("heads", 8), ("kv-heads", 4), ("ffn", 688), ("vocab", 1024),
                          ("batch", 16), ("seq", 256), ("prompts", 8), ("group", 8), ("prompt-len", 32),
                          ("new-tokens", 64), ("repeats", 3), ("threads", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Model(a)
    params = sum(x.numel() for x in model.parameters())
    result = {"backend": "pytorch-" + torch.__version__, "params": params}

    n = 1024
    A, B = torch.rand(n, n), torch.rand(n, n)
    C = torch.empty(n, n)
    rates = [4 * 2 * n ** 3 / s / 1e9 for s, _ in timed(lambda: [torch.mm(A, B, out=C) for _ in range(4)], 5)]
    result["gemm_gflops"] = round(statistics.median(rates), 2)

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq))

    def train_step():
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    rates = [a.batch * a.seq / s for s, _ in timed(train_step, a.repeats)]
    result["train_tokens_per_s"] = round(statistics.median(rates), 2)
    result["train_roofline_fraction"] = round(6 * params * result["train_tokens_per_s"] / 1e9 / result["gemm_gflops"], 2)

    prompts = torch.randint(3, a.vocab, (a.prompts, a.prompt_len))

    @torch.no_grad()
    def sample():
        rows = prompts.repeat_interleave(a.group, 0)
        caches = [dict() for _ in model.blocks]
        logits = model(rows, 0, caches)[:, -1]
        out = []
        for t in range(a.new_tokens):
            nxt = torch.multinomial(F.softmax(logits, -1), 1)
            out.append(nxt)
            logits = model(nxt, a.prompt_len + t, caches)[:, -1]
        return torch.cat([rows] + out, 1)

    runs = timed(sample, a.repeats)
    result["sample_tokens_per_s"] = round(statistics.median(a.prompts * a.group * a.new_tokens / s for s, _ in runs), 2)

    ref = Model(a)
    ref.load_state_dict(model.state_dict())

    def grpo_step():
        t0 = time.perf_counter()
        seqs = sample()
        t1 = time.perf_counter()
        rewards = (seqs[:, -1] % 2 == 0).float()  # a trivial rule reward, as cheap as align4j's checker here
        adv = (rewards.view(a.prompts, a.group) - rewards.view(a.prompts, a.group).mean(1, keepdim=True))
        adv = (adv / (rewards.view(a.prompts, a.group).std(1, keepdim=True) + 1e-4)).view(-1)
        t2 = time.perf_counter()
        micro = min(16, seqs.shape[0])
        with torch.no_grad():
            ref_lp = torch.cat([F.log_softmax(ref(seqs[i:i + micro]), -1)[:, a.prompt_len - 1:-1]
                                .gather(-1, seqs[i:i + micro, a.prompt_len:, None]).squeeze(-1)
                                for i in range(0, seqs.shape[0], micro)])
        opt.zero_grad()
        for i in range(0, seqs.shape[0], micro):
            s = seqs[i:i + micro]
            lp = F.log_softmax(model(s), -1)[:, a.prompt_len - 1:-1].gather(-1, s[:, a.prompt_len:, None]).squeeze(-1)
            ratio = torch.exp(lp - lp.detach())
            d = ref_lp[i:i + micro] - lp
            kl = torch.exp(d) - d - 1
            loss = (-(ratio * adv[i:i + micro, None]) + 0.04 * kl).mean(1).sum() / seqs.shape[0]
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2

    splits = [r for _, r in timed(grpo_step, a.repeats)]
    ro, re, up = (statistics.median(x[i] for x in splits) for i in range(3))
    result["grpo_step_seconds"] = {"total": round(ro + re + up, 3), "rollout": round(ro, 3), "reward": round(re, 3),
                                   "update": round(up, 3), "completions": a.prompts * a.group}
    result["threads"] = a.threads
    print(json.dumps(result))


if __name__ == "__main__":
    main()
