#!/usr/bin/python3
"""PyTorch peer of a jackpot MLP sweep such as examples/quickstart.yaml: the script a
researcher would write, reading the same YAML so the grid cannot drift. For each width
and init seed: a 784-w-…-w-10 MLP (kaiming-normal weights, zero biases), AdamW, trained
for ceil(epochs · pool / batch) steps on the pool left after the validation hold-out, the
batches drawn as jackpot draws them (a fresh permutation per epoch, continuing across the
epoch boundary, the same order for every init seed when data seeds are [0]); evaluated on
validation and test (loss and accuracy per member) at step 0, every ceil(steps / evals)
steps and at the end, as jackpot does. Reads the same IDX gzip files. Two forms:
  loop  one model at a time (PyTorch's usual form)
  vmap  a width's init seeds as one functorch.vmap ensemble (they share the batches)
usage: torch_quickstart.py loop|vmap SWEEP.yaml THREADS [DATA_DIR]
prints one JSON line: form, runs, steps, evals (per run), cpu_s (user+sys of this process), wall_s"""
import gzip, json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
import yaml
from functorch import combine_state_for_ensemble, vmap

t0, c0 = time.perf_counter(), time.process_time()
form, spec, threads = sys.argv[1], yaml.safe_load(open(sys.argv[2])), int(sys.argv[3])
torch.set_num_threads(threads)
data_dir = sys.argv[4] if len(sys.argv) > 4 else spec["task"].get("data_dir", "/usr/share/datasets/fashion-mnist")

def need(ok, what):
    if not ok:
        sys.exit("torch_quickstart.py: %s: not what this peer implements" % what)

task, model, optim, budget = spec["task"], spec["model"], spec["optim"], spec["budget"]
need(task.get("name") == "fashion-mnist" and not task.get("train_size") and not task.get("standardize"), "task")
need(model.get("act", "relu") == "relu" and model.get("init", "kaiming-normal") == "kaiming-normal", "model")
need(optim.get("name", "adamw") == "adamw" and optim.get("schedule", "constant") == "constant", "optim")
need(set(spec["grid"]) == {"model.width"} and "epochs" in budget, "grid/budget")
seeds = spec.get("seeds", {})
need(seeds.get("data", [0]) == [0], "seeds.data")
widths, depth, n_init = spec["grid"]["model.width"], int(model.get("depth", 2)), int(seeds.get("init", 1))
lr, wd = float(optim.get("lr", 1e-3)), float(optim.get("wd", 0.01))
batch, epochs, evals = int(budget.get("batch", 128)), float(budget["epochs"]), int(budget.get("evals", 10))

def idx(name, offset):
    with gzip.open(os.path.join(data_dir, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
n_val = int(task.get("val_size", 5000))
perm = torch.randperm(60000, generator=torch.Generator().manual_seed(0))
xv, yv, xtr, ytr = x[perm[:n_val]], y[perm[:n_val]], x[perm[n_val:]], y[perm[n_val:]]
pool = len(xtr)
steps = math.ceil(epochs * pool / batch - 1e-9)
eval_every = (steps + evals - 1) // evals

def batches():   # the data order: a permutation per epoch, read on across epoch boundaries
    g, rows = torch.Generator().manual_seed(0), torch.empty(0, dtype=torch.int64)
    while True:
        while len(rows) < batch:
            rows = torch.cat([rows, torch.randperm(pool, generator=g)])
        yield rows[:batch]
        rows = rows[batch:]

def make(width, seed):
    torch.manual_seed(seed)
    layers, n = [], 784
    for _ in range(depth):
        layers += [torch.nn.Linear(n, width), torch.nn.ReLU()]
        n = width
    layers.append(torch.nn.Linear(n, 10))
    net = torch.nn.Sequential(*layers)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    return net

def train(forward, params, members):
    """Trains one model (loop) or all init seeds of a width at once (vmap): forward(x) gives
    [members, rows, 10]; the loss is the sum of the members' mean losses."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    data, evals = batches(), 0
    for step in range(steps + 1):
        if step == 0 or step == steps or step % eval_every == 0:
            with torch.no_grad():
                for xs, ys in ((xv, yv), (xt, yt)):
                    out = forward(xs)
                    loss = F.cross_entropy(out.reshape(-1, 10), ys.repeat(members), reduction="none")
                    acc = (out.argmax(2) == ys).float().mean(1)
                    loss.view(members, -1).mean(1).tolist(), acc.tolist()   # what a researcher would log
            evals += members
        if step == steps:
            return evals
        rows = next(data)
        opt.zero_grad(set_to_none=True)
        (F.cross_entropy(forward(xtr[rows]).reshape(-1, 10), ytr[rows].repeat(members)) * members).backward()
        opt.step()

n_evals = 0
for width in widths:
    if form == "loop":
        for seed in range(n_init):
            net = make(width, seed)
            n_evals += train(lambda x: net(x).unsqueeze(0), net.parameters(), 1)
    else:
        fmodel, stacked, buffers = combine_state_for_ensemble([make(width, seed) for seed in range(n_init)])
        stacked = [p.detach().requires_grad_() for p in stacked]
        fwd = vmap(fmodel, in_dims=(0, 0, None))
        n_evals += train(lambda x: fwd(stacked, buffers, x), stacked, n_init)
runs = len(widths) * n_init
print(json.dumps({"form": form, "runs": runs, "steps": steps, "evals": n_evals // runs,
                  "cpu_s": round(time.process_time() - c0, 3), "wall_s": round(time.perf_counter() - t0, 3)}))
