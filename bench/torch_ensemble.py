#!/usr/bin/python3
"""PyTorch peer for an ensemble of small MLPs: M members of 784-H-H-10, each with
its own data order (its own permutation of a Fashion-MNIST-sized pool), Adam.
Two versions a user would write:
  loop  M separate nn.Sequential models and optimisers, stepped in turn
  bmm   one stacked model: weights [M, in, out], torch.bmm, one Adam over all
usage: torch_ensemble.py loop|bmm M H BATCH STEPS THREADS
prints: member-steps/s and GFLOP/s (6 * params * examples)"""
import sys, time
import torch

mode, M, H, B, steps, threads = sys.argv[1], *map(int, sys.argv[2:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
pool = torch.rand(55000, 784)
labels = torch.randint(0, 10, (55000,))
perms = [torch.randperm(55000) for _ in range(M)]
params_per_member = 784 * H + H + H * H + H + H * 10 + 10

def batch_rows(m, s):
    start = (s * B) % (55000 - B)
    return perms[m][start:start + B]

if mode == "loop":
    models = [torch.nn.Sequential(torch.nn.Linear(784, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(),
                                  torch.nn.Linear(H, 10)) for _ in range(M)]
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in models]
    def step(s):
        for m in range(M):
            idx = batch_rows(m, s)
            opts[m].zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(models[m](pool[idx]), labels[idx])
            loss.backward()
            opts[m].step()
else:
    def layer(i, o):
        w = torch.nn.Parameter(torch.randn(M, i, o) * (2.0 / i) ** 0.5)
        b = torch.nn.Parameter(torch.zeros(M, 1, o))
        return w, b
    layers = [layer(784, H), layer(H, H), layer(H, 10)]
    opt = torch.optim.Adam([p for l in layers for p in l], lr=1e-3)
    def step(s):
        idx = torch.stack([batch_rows(m, s) for m in range(M)])          # [M, B]
        x, y = pool[idx], labels[idx]                                   # [M, B, 784], [M, B]
        for k, (w, b) in enumerate(layers):
            x = torch.baddbmm(b, x, w)
            if k < 2:
                x = torch.relu(x)
        loss = torch.nn.functional.cross_entropy(x.reshape(M * B, 10), y.reshape(-1)) * M   # sum of member means
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

for s in range(10):
    step(s)
t0 = time.perf_counter()
for s in range(steps):
    step(s)
dt = time.perf_counter() - t0
print("%.1f member-steps/s %.1f GFLOP/s" % (M * steps / dt, M * steps * B * 6 * params_per_member / dt / 1e9))
