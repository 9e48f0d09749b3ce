#!/usr/bin/python3
"""Reference numbers from PyTorch for the gpt family (tests/test_gpt.c, test_torch_parity_*).

Run by hand with Debian's python3-torch (scripts/install-deps --bench):
    /usr/bin/python3 tests/reference/gpt_reference.py tests/reference
Builds nanoGPT's architecture from functional PyTorch (pre-LayerNorm blocks, causal
attention, nn.GELU's exact erf form, final LayerNorm, tied or untied head) at a tiny shape,
from random parameters (not GPT-2's initialisation: matrices N(0, 0.2²), biases N(0, 0.1²),
LayerNorm gains 1 + N(0, 0.2²), so that every gradient is exercised), then writes, in
jackpot's parameter layout (src/nn/gpt.h: wte, wpe, the blocks, ln_f, lm_head when untied):
the initial parameters, ten batches, the first batch's logits, loss and gradient, and the
ten losses and final parameters of AdamW (weight decay on the linear layers' matrices only)
with gradients clipped to global norm 1 (clip_grad_norm_) before every step.
"""
import math
import sys

import torch
import torch.nn.functional as F

V, C, L, H, FF, CTX, B, T, STEPS = 256, 8, 2, 2, 16, 6, 2, 5, 10
OPT = dict(lr=1e-2, wd=0.1, beta1=0.9, beta2=0.999, eps=1e-8, clip=1.0)
BLOCK = [  # name, shape, kind (m: decayed matrix, b: bias, g: LayerNorm gain)
    ("ln_1.weight", (C,), "g"), ("ln_1.bias", (C,), "b"),
    ("attn.c_attn.weight", (3 * C, C), "m"), ("attn.c_attn.bias", (3 * C,), "b"),
    ("attn.c_proj.weight", (C, C), "m"), ("attn.c_proj.bias", (C,), "b"),
    ("ln_2.weight", (C,), "g"), ("ln_2.bias", (C,), "b"),
    ("mlp.c_fc.weight", (FF, C), "m"), ("mlp.c_fc.bias", (FF,), "b"),
    ("mlp.c_proj.weight", (C, FF), "m"), ("mlp.c_proj.bias", (C,), "b"),
]


def tensors(tied):
    """(name, shape, kind) in jackpot's order; kind e: embedding (not decayed)."""
    out = [("transformer.wte.weight", (V, C), "e"), ("transformer.wpe.weight", (CTX, C), "e")]
    for l in range(L):
        out += [("transformer.h.%d.%s" % (l, n), s, k) for n, s, k in BLOCK]
    out += [("transformer.ln_f.weight", (C,), "g"), ("transformer.ln_f.bias", (C,), "b")]
    if not tied:
        out.append(("lm_head.weight", (V, C), "m"))
    return out


def make_params(tied):
    p = {}
    for name, shape, kind in tensors(tied):
        z = torch.randn(shape)
        value = {"e": 0.2 * z, "m": 0.2 * z, "b": 0.1 * z, "g": 1 + 0.2 * z}[kind]
        p[name] = torch.nn.Parameter(value)
    return p


def logits_of(p, tokens, n_layer, n_head, head):
    """nanoGPT's forward at any shape: tokens[B][T] → logits[B][T][V] through head (wte when tied).
    bench/torch_lm.py times this same function."""
    Bn, Tn = tokens.shape
    Cn = p["transformer.wte.weight"].shape[1]
    hs = Cn // n_head
    x = p["transformer.wte.weight"][tokens] + p["transformer.wpe.weight"][:Tn]
    mask = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for l in range(n_layer):
        q = lambda n: p["transformer.h.%d.%s" % (l, n)]
        h = F.layer_norm(x, (Cn,), q("ln_1.weight"), q("ln_1.bias"), eps=1e-5)
        qkv = F.linear(h, q("attn.c_attn.weight"), q("attn.c_attn.bias"))
        qq, kk, vv = (t.view(Bn, Tn, n_head, hs).transpose(1, 2) for t in qkv.split(Cn, dim=2))
        att = (qq @ kk.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ vv).transpose(1, 2).contiguous().view(Bn, Tn, Cn)
        x = x + F.linear(y, q("attn.c_proj.weight"), q("attn.c_proj.bias"))
        h = F.layer_norm(x, (Cn,), q("ln_2.weight"), q("ln_2.bias"), eps=1e-5)
        h = F.gelu(F.linear(h, q("mlp.c_fc.weight"), q("mlp.c_fc.bias")))
        x = x + F.linear(h, q("mlp.c_proj.weight"), q("mlp.c_proj.bias"))
    x = F.layer_norm(x, (Cn,), p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], eps=1e-5)
    return F.linear(x, head)


def forward(p, tied, tokens, targets):
    logits = logits_of(p, tokens, L, H, p["transformer.wte.weight"] if tied else p["lm_head.weight"])
    return logits, F.cross_entropy(logits.view(-1, V), targets.view(-1))


def flat(p, tied, grad=False):
    out = []
    for name, _, _ in tensors(tied):
        t = p[name].grad if grad else p[name]
        out += t.detach().reshape(-1).tolist()
    return out


def fmt(values):
    return " ".join("%.9g" % v for v in values)


def run(tied, outdir, seed):
    torch.manual_seed(seed)
    p = make_params(tied)
    tokens = torch.randint(0, V, (STEPS, B, T))
    targets = torch.randint(0, V, (STEPS, B, T))
    init = flat(p, tied)
    decay = [p[n] for n, _, k in tensors(tied) if k == "m"]
    other = [p[n] for n, _, k in tensors(tied) if k != "m"]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=OPT["wd"]), dict(params=other, weight_decay=0.0)],
                            lr=OPT["lr"], betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"])
    losses = []
    for s in range(STEPS):
        opt.zero_grad()
        logits, loss = forward(p, tied, tokens[s], targets[s])
        loss.backward()
        if s == 0:
            logits0, loss0, grads0 = logits.detach().reshape(-1).tolist(), loss.item(), flat(p, tied, grad=True)
        torch.nn.utils.clip_grad_norm_(list(p.values()), OPT["clip"])
        opt.step()
        losses.append(loss.item())
    name = "gpt_tied" if tied else "gpt_untied"
    with open("%s/%s.txt" % (outdir, name), "w") as f:
        f.write("# %s: PyTorch %s, generated by tests/reference/gpt_reference.py\n" % (name, torch.__version__))
        f.write("shape %d %d %d %d %d %d\n" % (C, L, H, FF, CTX, int(tied)))
        f.write("batch %d %d\nsteps %d\n" % (B, T, STEPS))
        for k in ("lr", "wd", "beta1", "beta2", "eps", "clip"):
            f.write("%s %.9g\n" % (k, OPT[k]))
        f.write("init %d %s\n" % (len(init), fmt(init)))
        f.write("tokens %d %s\n" % (tokens.numel(), fmt(tokens.reshape(-1).tolist())))
        f.write("targets %d %s\n" % (targets.numel(), fmt(targets.reshape(-1).tolist())))
        f.write("loss0 1 %.9g\n" % loss0)
        f.write("logits0 %d %s\n" % (len(logits0), fmt(logits0)))
        f.write("grads0 %d %s\n" % (len(grads0), fmt(grads0)))
        f.write("losses %d %s\n" % (len(losses), fmt(losses)))
        final = flat(p, tied)
        f.write("final %d %s\n" % (len(final), fmt(final)))


if __name__ == "__main__":
    torch.set_num_threads(1)
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/reference"
    run(True, outdir, seed=2000)
    run(False, outdir, seed=2001)
