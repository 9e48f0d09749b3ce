#!/usr/bin/python3
"""PyTorch peer of bench/mixed_sweep.yaml: the script a researcher would write.
For each width 8..1024 and 4 seeds: a 784-w-w-10 MLP, AdamW lr 1e-3 (wd 0), batch 128,
2 epochs over the 55k training images left after a 5k validation hold-out, evaluated
on validation and test after each epoch. Reads the same IDX gzip files.
usage: torch_mixed_sweep.py THREADS [DATA_DIR]     prints the wall time in seconds"""
import gzip, sys, time
import numpy as np
import torch

t_start = time.perf_counter()
torch.set_num_threads(int(sys.argv[1]))
data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"

def idx(name, offset):
    with gzip.open("%s/%s" % (data_dir, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
g = torch.Generator().manual_seed(0)
perm = torch.randperm(60000, generator=g)
xv, yv, xtr, ytr = x[perm[:5000]], y[perm[:5000]], x[perm[5000:]], y[perm[5000:]]

def evaluate(model, xs, ys):
    with torch.no_grad():
        out = model(xs)
        return torch.nn.functional.cross_entropy(out, ys).item(), (out.argmax(1) == ys).float().mean().item()

for width in [8, 16, 32, 64, 128, 256, 512, 1024]:
    for seed in range(4):
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(784, width), torch.nn.ReLU(), torch.nn.Linear(width, width),
                                    torch.nn.ReLU(), torch.nn.Linear(width, 10))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0)
        for epoch in range(2):
            order = torch.randperm(len(xtr))
            for i in range(0, len(xtr), 128):
                idx_b = order[i:i + 128]
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(xtr[idx_b]), ytr[idx_b]).backward()
                opt.step()
            evaluate(model, xv, yv)
            evaluate(model, xt, yt)
print("%.2f" % (time.perf_counter() - t_start))
