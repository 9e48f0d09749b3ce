#!/usr/bin/python3
"""PyTorch peer for bench/train_step_vs_torch: steps/s of one MLP on random
Fashion-MNIST-shaped batches (the data pipeline is not what is measured).
usage: torch_mlp_steps.py HIDDEN(e.g. 256,256) BATCH STEPS THREADS"""
import sys, time
import torch

hidden = [int(h) for h in sys.argv[1].split(",")]
batch, steps, threads = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
layers, n = [], 784
for h in hidden:
    layers += [torch.nn.Linear(n, h), torch.nn.ReLU()]
    n = h
layers.append(torch.nn.Linear(n, 10))
model = torch.nn.Sequential(*layers)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
x = torch.rand(64, batch, 784)
y = torch.randint(0, 10, (64, batch))
def step(i):
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x[i % 64]), y[i % 64])
    loss.backward()
    opt.step()
for i in range(20):
    step(i)
t0 = time.perf_counter()
for i in range(steps):
    step(i)
dt = time.perf_counter() - t0
params = sum(p.numel() for p in model.parameters())
print("%.1f steps/s %.1f GFLOP/s" % (steps / dt, steps * batch * 6 * params / dt / 1e9))
