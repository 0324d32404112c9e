"""Writes a synthetic stand-in for Kaggle's credit-card fraud data set (which cannot be
downloaded here), in exactly its format: the header "Time","V1",...,"V28","Amount","Class",
then one transaction per line, sorted by Time, with Class "0" (normal) or "1" (fraud)
quoted as in the original.

    /usr/bin/python3 make_sample_data.py -o FILE [--rows 40000] [--fraud-rate 0.01] [--seed 1]

The same arguments always give the same bytes. What there is to learn:
- frauds follow one of five schemes, each moving three V columns together (V14, V12, V10;
  V17, V16, V18; V4, V11, V3; V7, V2, V9; V1, V5, V6) by a random strength, on top of the
  same noise as normal transactions; their amounts are either small (card testing) or
  large, and they happen around the clock;
- normal transactions: V1..V28 centred, heavy-tailed, with spreads falling from about 2 to
  0.3 as in the original's principal components; one in ten is unusual but legitimate,
  moving two of the three columns of a scheme. Telling those from frauds takes many
  examples of both classes, which no single node of the example has.
"""
import argparse
import os
import sys

import numpy as np

COLUMNS = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount", "Class"]
SPREAD = np.linspace(1.95, 0.33, 28)  # of V1..V28
# Each fraud scheme: (column, shift in units of that column's spread).
SCHEMES = [
    [("V14", -3.0), ("V12", -2.5), ("V10", -2.5)],
    [("V17", -3.0), ("V16", -2.5), ("V18", -2.0)],
    [("V4", 3.0), ("V11", 3.0), ("V3", -2.5)],
    [("V7", -3.0), ("V2", 2.5), ("V9", -2.0)],
    [("V1", -2.5), ("V5", -2.5), ("V6", 2.0)],
]


def column(name):
    return int(name[1:]) - 1


def transactions(rng, n, fraud):
    """(time, v [n, 28], amount) for n normal (fraud False) or fraudulent transactions."""
    v = rng.standard_t(5, size=(n, 28)) * np.sqrt(3.0 / 5.0) * SPREAD
    if fraud:
        time = rng.uniform(0, 172800, n)  # around the clock
        scheme = rng.integers(0, len(SCHEMES), n)
        strength = rng.uniform(0.6, 1.3, n)
        for k, shifts in enumerate(SCHEMES):
            mine = scheme == k
            for name, shift in shifts:
                j = column(name)
                v[mine, j] += shift * SPREAD[j] * strength[mine] * rng.uniform(0.6, 1.4, int(mine.sum()))
        small = rng.random(n) < 0.5
        amount = np.where(small, rng.lognormal(0.5, 0.8, n), rng.lognormal(5.0, 1.0, n))
    else:
        # Two days, busier in the day than at night.
        day = rng.integers(0, 2, n)
        hour = rng.normal(14.0, 4.5, n) % 24
        time = day * 86400 + hour * 3600
        unusual = rng.random(n) < 0.10
        for i in np.flatnonzero(unusual):  # two of the three columns of one scheme
            scheme = SCHEMES[rng.integers(0, len(SCHEMES))]
            for k in rng.choice(3, 2, replace=False):
                name, shift = scheme[k]
                v[i, column(name)] += shift * SPREAD[column(name)] * rng.uniform(0.6, 1.3)
        amount = rng.lognormal(3.0, 1.3, n)
    return time, v, np.minimum(amount, 25000.0)


def make(rows, fraud_rate, seed):
    """Rows sorted by Time: [time, v1..v28, amount, class]."""
    rng = np.random.default_rng(seed)
    n_fraud = int(round(rows * fraud_rate))
    parts = []
    for n, label in ((rows - n_fraud, 0), (n_fraud, 1)):
        time, v, amount = transactions(rng, n, fraud=label == 1)
        parts.append(np.column_stack([np.floor(time), v, np.round(amount, 2), np.full(n, label)]))
    data = np.concatenate(parts)
    return data[np.argsort(data[:, 0], kind="stable")]


def write(path, data):
    with open(path, "w", newline="") as f:
        f.write(",".join(f'"{c}"' for c in COLUMNS) + "\n")
        for row in data:
            v = ",".join(f"{x:.6f}" for x in row[1:29])
            f.write(f'{int(row[0])},{v},{row[29]:.2f},"{int(row[30])}"\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="the CSV file to write")
    parser.add_argument("--rows", type=int, default=40000, help="transactions (default 40000)")
    parser.add_argument("--fraud-rate", type=float, default=0.01, help="share of frauds (default 0.01)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args()
    if args.rows < 100 or not 0 < args.fraud_rate < 0.5:
        sys.exit("make_sample_data.py: --rows must be at least 100 and --fraud-rate between 0 and 0.5")
    if os.path.dirname(args.output):
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
    data = make(args.rows, args.fraud_rate, args.seed)
    write(args.output, data)
    print(f"{args.output}: {len(data)} transactions, {int(data[:, 30].sum())} frauds (seed {args.seed})")


if __name__ == "__main__":
    main()
