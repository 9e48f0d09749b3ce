#!/usr/bin/python3
"""PyTorch peer for bench/mlp_throughput: one MLP, AdamW, on random Fashion-MNIST-shaped
batches (the data pipeline is not what is measured).
usage: torch_mlp_steps.py HIDDEN(e.g. 1024,1024) BATCH STEPS THREADS
prints one JSON line: steps, params, cpu_s (user+sys of the process over the timed
steps: all its threads), wall_s, after 20 untimed warm-up steps."""
import json, sys, time
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
t0, c0 = time.perf_counter(), time.process_time()
for i in range(steps):
    step(i)
print(json.dumps({"steps": steps, "params": sum(p.numel() for p in model.parameters()),
                  "cpu_s": round(time.process_time() - c0, 4), "wall_s": round(time.perf_counter() - t0, 4)}))
