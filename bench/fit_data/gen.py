#!/usr/bin/env python3
"""A 240-point Chinchilla-like set for the fit benchmark (bench/fit_vs_scipy).

SYNTHETIC: Epoch's reconstruction of Hoffmann et al.'s Figure 4 (Besiroglu et al. 2024,
github.com/epoch-research/analyzing-chinchilla, data/svg_extracted_data.csv) was not
available to this session, so these points are drawn from Epoch's refit of the law,
L = E + A/N^α + B/D^β with E 1.82, A 482, B 2085, α 0.35, β 0.37, over the same ranges
as their data (N 5.7·10^7..1.6·10^10 parameters, C = 6ND 1.4·10^18..1.3·10^22 FLOP,
D ≥ 2.4·10^8 tokens), with 2% log-normal noise, rounded to 6 digits as a figure
reading would be. Deterministic (seeded); the output is committed as chinchilla_240.csv.
usage: bench/fit_data/gen.py > bench/fit_data/chinchilla_240.csv
"""
import math, random

E, A, B, al, be = 1.82, 482.0, 2085.0, 0.35, 0.37
rng = random.Random(20240415)
print("N,D,loss")
k = 0
while k < 240:
    N = 10 ** rng.uniform(math.log10(5.7e7), math.log10(1.6e10))
    C = 10 ** rng.uniform(math.log10(1.4e18), math.log10(1.3e22))
    D = C / (6 * N)
    if D < 2.4e8 or D > 3.2e11:
        continue
    L = (E + A * N ** -al + B * D ** -be) * math.exp(rng.gauss(0, 0.02))
    print("%.6g,%.6g,%.6g" % (N, D, L))
    k += 1
