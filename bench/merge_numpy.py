"""The three merge methods written with numpy, timed on the same data size as
merge_benchmark (25M f32 parameters, N = 4 and 16 inputs, weights 60 + (37 i) mod 41), so
scripts/bench can report Swarm's speed as a ratio to numpy's.

Each method is written as a numpy user would write it: whole-array operations, inputs
stacked into one (N, P) float32 array made before timing. coordmedian works on blocks of
2^20 coordinates, which keeps its argsort temporaries to a few hundred MB (at N = 16 the
whole-array version needs over 10 GB) and is also faster. geomedian is timed per Weiszfeld
iteration, the unit of the issue's target.

Prints JSON: {"tool", "numpy_version", "params", "results": [{"method", "inputs",
"seconds", "input_bytes_per_second"}]}; "seconds" is the best of --repeats runs.
"""
import argparse
import json
import sys
import time

import numpy as np


def weights_for(n):
    return np.array([60 + (37 * i) % 41 for i in range(n)], dtype=np.float64)


def make_inputs(n, params):
    x = np.empty((n, params), dtype=np.float32)
    for i in range(n):
        rng = np.random.default_rng(i + 1)
        x[i] = rng.random(params, dtype=np.float32) * 2 - 1 + np.float32(0.1 * i)
    return x


def mean(x, w):
    # A float32 matrix-vector product (BLAS): numpy's fastest form. It accumulates in f32,
    # less precisely than Swarm's f64 sums, so the comparison favours numpy.
    return (w / w.sum()).astype(np.float32) @ x


def coordmedian(x, w, block=1 << 20):
    """Weighted median per coordinate, with the tie rule of docs/merge.md: the first sorted
    position k with 2 C_k >= W; the midpoint of v_k and v_{k+1} when 2 C_k == W."""
    n, p = x.shape
    total = w.sum()
    out = np.empty(p, dtype=np.float32)
    for b in range(0, p, block):
        xs = x[:, b:b + block]
        order = np.argsort(xs, axis=0, kind="stable")
        v = np.take_along_axis(xs, order, axis=0)
        c = np.cumsum(w[order], axis=0)
        k = np.argmax(2 * c >= total, axis=0)  # first position reaching half the weight
        cols = np.arange(xs.shape[1])
        lo = v[k, cols]
        hi = v[np.minimum(k + 1, n - 1), cols]
        split = 2 * c[k, cols] == total
        out[b:b + block] = np.where(split, lo / 2 + hi / 2, lo)
    return out


def weiszfeld_step(x, w, y):
    """One Weiszfeld iteration: distances to the estimate, then the reweighted mean."""
    d = np.linalg.norm(x - y, axis=1).astype(np.float64)
    c = w / d
    return (c / c.sum()).astype(np.float32) @ x


METHODS = {
    "mean": lambda x, w, y: mean(x, w),
    "coordmedian": lambda x, w, y: coordmedian(x, w),
    "geomedian": lambda x, w, y: weiszfeld_step(x, w, y),
}


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=25_000_000)
    parser.add_argument("--inputs", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    results = []
    for n in args.inputs:
        x = make_inputs(n, args.params)
        w = weights_for(n)
        y0 = mean(x, w)  # geomedian's starting point, outside the timed step
        for method in args.methods:
            print(f"numpy {method} N={n} ...", file=sys.stderr)
            fn = METHODS[method]
            seconds = best_time(lambda: fn(x, w, y0), args.repeats)
            results.append({"method": method, "inputs": n, "seconds": seconds,
                            "input_bytes_per_second": x.nbytes / seconds})
        del x
    json.dump({"tool": "numpy", "numpy_version": np.__version__, "params": args.params,
               "results": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
