#!/bin/sh
# Times `jackpot fit --law power --csv` on 10^4, 10^5 and 10^6 generated rows (gen.py:
# 40 sizes, 3% noise), without and with --cluster-col, with --boot 0 and the default
# 1000 resamples. Prints wall and user seconds and peak memory per case.
# usage: bench/fit_csv/run.sh [JACKPOT_BIN] [TIMEOUT_S]
bin=${1:-build/jackpot}; limit=${2:-300}
dir=$(mktemp -d /tmp/jackpot-fit-bench-XXXXXX)
here=$(dirname "$0")
for n in 10000 100000 1000000; do
    python3 "$here/gen.py" $n "$dir/$n.csv"
    for cluster in "" "--cluster-col cluster"; do
        for boot in 0 1000; do
            /usr/bin/time -f "rows $n ${cluster:-(each row its own cluster)} --boot $boot: %e s wall, %U s user, %M KB" \
                timeout "$limit" "$bin" fit --law power --csv "$dir/$n.csv" --col N=N $cluster --boot $boot --no-save \
                >/dev/null 2>"$dir/err" || echo "  (exit $?: over ${limit} s or failed)"
            tail -1 "$dir/err"
        done
    done
done
rm -rf "$dir"
