#!/usr/bin/python3
"""PyTorch 1.13 peer of bench/lm_speed.c: training steps of the gpt family on random bytes.
One step: forward, mean cross-entropy, backward, clip_grad_norm_(1.0), AdamW (weight decay
0.1 on the linear layers' matrices only, lr 3e-4). The model is tests/reference/
gpt_reference.py's (nanoGPT's layout, written functionally: pre-LayerNorm blocks, causal
attention by masked softmax — 1.13 has no scaled_dot_product_attention — exact GELU,
final LayerNorm, tied unembedding), at any shape, with GPT-2's initialisation.
Three forms:
  one    one model, batch B
  loop   M separate models and optimisers, stepped in turn (each clipped alone)
  bmm    M members stacked: every weight [M, ...], torch.baddbmm / batched matmul,
         one AdamW over the stacks, each member's gradient clipped by its own norm
usage: torch_lm.py one|loop|bmm M C L H T B STEPS THREADS
prints: tokens/s X kaplan_gflops Y cpu_per_wall R step_s S loss Q   (tokens of all members)
Set OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to THREADS in the environment as well:
torch.set_num_threads does not limit OpenBLAS."""
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from gpt_reference import logits_of  # noqa: E402  (the same model the parity tests check)

mode = sys.argv[1]
M, C, L, H, T, B, STEPS, THREADS = map(int, sys.argv[2:10])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
V, FF, hs = 256, 4 * C, C // H
BLOCK = [("ln_1.weight", (C,), "g"), ("ln_1.bias", (C,), "b"),
         ("attn.c_attn.weight", (3 * C, C), "m"), ("attn.c_attn.bias", (3 * C,), "b"),
         ("attn.c_proj.weight", (C, C), "r"), ("attn.c_proj.bias", (C,), "b"),
         ("ln_2.weight", (C,), "g"), ("ln_2.bias", (C,), "b"),
         ("mlp.c_fc.weight", (FF, C), "m"), ("mlp.c_fc.bias", (FF,), "b"),
         ("mlp.c_proj.weight", (C, FF), "r"), ("mlp.c_proj.bias", (C,), "b")]
TENSORS = ([("transformer.wte.weight", (V, C), "e"), ("transformer.wpe.weight", (T, C), "e")]
           + [("transformer.h.%d.%s" % (l, n), s, k) for l in range(L) for n, s, k in BLOCK]
           + [("transformer.ln_f.weight", (C,), "g"), ("transformer.ln_f.bias", (C,), "b")])
N_NONEMB = L * (4 * C * C + 2 * C * FF + 9 * C + FF) + 2 * C
FLOPS_PER_TOKEN = 6 * N_NONEMB + 6 * L * T * C            # Kaplan et al. (2020), as gpt.h
MASK = torch.tril(torch.ones(T, T, dtype=torch.bool))


def init(stack):
    """GPT-2's initialisation; with stack, every tensor gets a leading [M]."""
    p = {}
    for name, shape, kind in TENSORS:
        shape = (stack,) + shape if stack else shape
        sd = 0.02 / math.sqrt(2 * L) if kind == "r" else 0.02
        value = {"g": torch.ones(shape), "b": torch.zeros(shape)}.get(kind)
        p[name] = torch.nn.Parameter(value if value is not None else sd * torch.randn(shape))
    return p


def forward(p, tokens, targets):
    """One model: tests/reference/gpt_reference.py's forward (the parity tests' model) at this shape."""
    logits = logits_of(p, tokens, L, H, p["transformer.wte.weight"])
    return F.cross_entropy(logits.view(-1, V), targets.view(-1))


def blin(x, w, b):
    """x [M, n, in] · w [M, out, in]ᵀ + b [M, out]."""
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def bnorm(x, g, b):
    return F.layer_norm(x, (C,), eps=1e-5) * g.unsqueeze(1) + b.unsqueeze(1)


def forward_stacked(p, tokens, targets):
    """M members at once: tokens [M, B, T]; returns the sum of the members' mean losses."""
    wte = p["transformer.wte.weight"]                                   # [M, V, C]
    idx = tokens + V * torch.arange(M).view(M, 1, 1)
    x = wte.reshape(M * V, C)[idx.view(M, B * T)] + p["transformer.wpe.weight"].repeat(1, B, 1)  # [M, B·T, C]
    for l in range(L):
        q = lambda n: p["transformer.h.%d.%s" % (l, n)]
        h = bnorm(x, q("ln_1.weight"), q("ln_1.bias"))
        qkv = blin(h, q("attn.c_attn.weight"), q("attn.c_attn.bias"))
        qq, kk, vv = (t.reshape(M * B, T, H, hs).transpose(1, 2) for t in qkv.split(C, dim=2))
        att = (qq @ kk.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = F.softmax(att.masked_fill(~MASK, float("-inf")), dim=-1)
        y = (att @ vv).transpose(1, 2).reshape(M, B * T, C)
        x = x + blin(y, q("attn.c_proj.weight"), q("attn.c_proj.bias"))
        h = bnorm(x, q("ln_2.weight"), q("ln_2.bias"))
        h = F.gelu(blin(h, q("mlp.c_fc.weight"), q("mlp.c_fc.bias")))
        x = x + blin(h, q("mlp.c_proj.weight"), q("mlp.c_proj.bias"))
    x = bnorm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"])
    logits = torch.bmm(x, wte.transpose(1, 2))                         # [M, B·T, V]
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)) * M


def adamw(p):
    decay = [p[n] for n, _, k in TENSORS if k in "mr"]
    other = [p[n] for n, _, k in TENSORS if k not in "mr"]
    return torch.optim.AdamW([dict(params=decay, weight_decay=0.1), dict(params=other, weight_decay=0.0)], lr=3e-4)


def clip_stacked(p, max_norm=1.0):
    """clip_grad_norm_ per member: each member's global norm over its own slices."""
    grads = [t.grad for t in p.values()]
    norm = torch.stack([g.pow(2).reshape(M, -1).sum(1) for g in grads]).sum(0).sqrt()   # [M]
    coef = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view((M,) + (1,) * (g.dim() - 1)))


tokens = torch.randint(0, V, (M, B, T))
targets = torch.randint(0, V, (M, B, T))
if mode == "bmm":
    p = init(M)
    opt = adamw(p)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = forward_stacked(p, tokens, targets)
        loss.backward()
        clip_stacked(p)
        opt.step()
        return loss.item() / M
else:
    models = [init(0) for _ in range(M if mode == "loop" else 1)]
    opts = [adamw(p) for p in models]

    def step():
        total = 0.0
        for m, (p, opt) in enumerate(zip(models, opts)):
            opt.zero_grad(set_to_none=True)
            loss = forward(p, tokens[m], targets[m])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
            opt.step()
            total += loss.item()
        return total / len(models)

step()                                    # warm-up
t0, c0 = time.perf_counter(), time.process_time()
for s in range(STEPS):
    loss = step()
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
members = M if mode != "one" else 1
tok = members * B * T * STEPS
print("tokens/s %.0f kaplan_gflops %.2f cpu_per_wall %.2f step_s %.4f loss %.4f"
      % (tok / dt, tok * FLOPS_PER_TOKEN / dt / 1e9, cpu / dt, dt / STEPS, loss))
