#!/usr/bin/python3
"""PyTorch peer for an ensemble of small MLPs: M members of 784-H-H-10, batch B each,
Adam (lr 1e-3), on a Fashion-MNIST-sized pool (55,000 × 784 floats; the values do not
change the speed). Data: "shared" = every member sees the same batch (members sharing a
data seed), "distinct" = each member its own permutation of the pool. The three forms a
user would write, each timed alone in this one process:
  loop  M nn.Sequential models and M optimisers, stepped in turn
  bmm   stacked weights [M, in, out], torch.baddbmm, one Adam over all; with shared data
        the first layer is one GEMM against all members' weights side by side [784, M·H]
  vmap  functorch.combine_state_for_ensemble + vmap over the members (x not batched
        when shared), one Adam over the stacked parameters
usage: torch_ensemble.py shared|distinct M H BATCH THREADS FORM:STEPS[,FORM:STEPS…]
  e.g. loop:20,bmm:80,vmap:80 (each form timed over its own number of steps)
prints one JSON line per form: form, member_steps, cpu_s (user+sys of the process while
the form ran: all its threads), wall_s, after 5 untimed warm-up steps."""
import json, sys, time
import torch
import torch.nn.functional as F

data, M, H, B, threads = sys.argv[1], *map(int, sys.argv[2:6])
forms = [(f.split(":")[0], int(f.split(":")[1])) for f in sys.argv[6].split(",")]
torch.set_num_threads(threads)
torch.manual_seed(0)
N = 55000
pool = torch.rand(N, 784)
labels = torch.randint(0, 10, (N,))
perms = [torch.randperm(N) for _ in range(1 if data == "shared" else M)]

def rows(m, s):   # member m's batch at step s
    start = (s * B) % (N - B)
    return perms[0 if data == "shared" else m][start:start + B]

def make():
    return torch.nn.Sequential(torch.nn.Linear(784, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(),
                               torch.nn.Linear(H, 10))

def loop_form():
    models = [make() for _ in range(M)]
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in models]
    def step(s):
        x = y = None
        for m in range(M):
            if x is None or data != "shared":
                idx = rows(m, s)
                x, y = pool[idx], labels[idx]
            opts[m].zero_grad(set_to_none=True)
            F.cross_entropy(models[m](x), y).backward()
            opts[m].step()
    return step

def bmm_form():
    def param(*shape, fan_in):
        return torch.nn.Parameter(torch.randn(*shape) * (2.0 / fan_in) ** 0.5)
    w1 = param(784, M * H, fan_in=784) if data == "shared" else param(M, 784, H, fan_in=784)
    b1 = torch.nn.Parameter(torch.zeros(M, 1, H))
    rest = [(param(M, H, H, fan_in=H), torch.nn.Parameter(torch.zeros(M, 1, H))),
            (param(M, H, 10, fan_in=H), torch.nn.Parameter(torch.zeros(M, 1, 10)))]
    opt = torch.optim.Adam([w1, b1] + [p for l in rest for p in l], lr=1e-3)
    def step(s):
        if data == "shared":
            idx = rows(0, s)
            x, y = pool[idx], labels[idx].repeat(M)                         # [B, 784], [M·B]
            h = torch.relu((x @ w1).view(B, M, H).transpose(0, 1) + b1)     # [M, B, H]
        else:
            idx = torch.stack([rows(m, s) for m in range(M)])               # [M, B]
            x, y = pool[idx], labels[idx].reshape(-1)
            h = torch.relu(torch.baddbmm(b1, x, w1))
        h = torch.relu(torch.baddbmm(rest[0][1], h, rest[0][0]))
        out = torch.baddbmm(rest[1][1], h, rest[1][0])
        loss = F.cross_entropy(out.reshape(M * B, 10), y) * M             # the sum of member means
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step

def vmap_form():
    from functorch import combine_state_for_ensemble, vmap
    fmodel, params, buffers = combine_state_for_ensemble([make() for _ in range(M)])
    params = [p.detach().requires_grad_() for p in params]
    opt = torch.optim.Adam(params, lr=1e-3)
    shared = data == "shared"
    batched = vmap(fmodel, in_dims=(0, 0, None if shared else 0))
    def step(s):
        if shared:
            idx = rows(0, s)
            x, y = pool[idx], labels[idx].repeat(M)
        else:
            idx = torch.stack([rows(m, s) for m in range(M)])
            x, y = pool[idx], labels[idx].reshape(-1)
        out = batched(params, buffers, x)                                   # [M, B, 10]
        loss = F.cross_entropy(out.reshape(M * B, 10), y) * M
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step

for form, steps in forms:
    step = {"loop": loop_form, "bmm": bmm_form, "vmap": vmap_form}[form]()
    for s in range(5):
        step(s)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(steps):
        step(s)
    print(json.dumps({"form": form, "member_steps": M * steps, "cpu_s": round(time.process_time() - c0, 4),
                      "wall_s": round(time.perf_counter() - t0, 4)}), flush=True)
