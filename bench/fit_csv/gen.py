#!/usr/bin/env python3
"""Points for timing `jackpot fit --csv`: L = E + A·N^−α with 3% log-normal noise.

usage: gen.py ROWS OUT.csv [--distinct]
Columns: N, loss, cluster, seed. 40 sizes (N from 1e4 to 1e8) with ROWS/40 seeds
each, as a sweep's results would be; the cluster is the size (runs that differ
only in seeds), so --cluster-col groups the seeds of one size. With --distinct
every row gets its own N (the worst case: no two points share a prediction).
Deterministic (seeded).
"""
import math, random, sys

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(12345)
distinct = "--distinct" in sys.argv[3:]
n_sizes = rows if distinct else 40
E, A, alpha = 1.7, 400.0, 0.34
with open(out, "w") as f:
    f.write("N,loss,cluster,seed\n")
    for i in range(rows):
        s = i % n_sizes
        N = 1e4 * 10 ** (4.0 * s / n_sizes)        # 1e4 .. 1e8
        loss = (E + A * N ** -alpha) * math.exp(rng.gauss(0, 0.03))
        f.write(f"{N:.6g},{loss:.6g},size{s},{i // n_sizes}\n")
