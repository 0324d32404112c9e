"""Combines merge_benchmark's Google Benchmark JSON and merge_numpy.py's JSON into one
summary: bytes/s per method and input count, the fraction of the measured two-thread read
bandwidth, the target fraction from the foundation issue, and the ratio to numpy.

Usage: summarize.py MERGE_BENCHMARK_JSON MERGE_NUMPY_JSON
"""
import json
import sys

# Fraction of two-thread read bandwidth each method must reach (geomedian: per iteration).
TARGETS = {"mean": 0.70, "coordmedian": 0.25, "geomedian": 0.25}
# Benchmark name prefix -> method, as the numpy script names them.
NAMES = {"BM_Merge/mean/": "mean", "BM_Merge/coordmedian/": "coordmedian",
         "BM_GeoMedianIteration/": "geomedian"}


def main(cpp_path, numpy_path):
    with open(cpp_path) as f:
        cpp = json.load(f)
    with open(numpy_path) as f:
        numpy = json.load(f)
    bandwidth = {}
    rows = {}
    # With --benchmark_repetitions, use each benchmark's median over the repetitions.
    benchmarks = [b for b in cpp["benchmarks"] if b.get("aggregate_name", "median") == "median"]
    for b in benchmarks:
        name = b.get("run_name", b["name"])
        if name.startswith("BM_ReadBandwidth/"):
            bandwidth[int(b["threads"])] = b["bytes_per_second"]
            continue
        for prefix, method in NAMES.items():
            if name.startswith(prefix):
                inputs = int(name[len(prefix):].split("/")[0])
                rows[(method, inputs)] = b
    numpy_speed = {(r["method"], r["inputs"]): r["input_bytes_per_second"] for r in numpy["results"]}
    read2 = bandwidth[2]
    results = []
    for (method, inputs), b in sorted(rows.items()):
        speed = b["bytes_per_second"]
        entry = {
            "method": method,
            "inputs": inputs,
            "input_bytes_per_second": speed,
            "fraction_of_read_bandwidth": round(speed / read2, 3),
            "target_fraction": TARGETS[method],
            "meets_target": speed / read2 >= TARGETS[method],
        }
        if method == "geomedian":
            entry["unit"] = "one Weiszfeld iteration"
            entry["first_pass_ms"] = round(b.get("first_pass_ms", 0), 1)
        if (method, inputs) in numpy_speed:
            entry["numpy_input_bytes_per_second"] = numpy_speed[(method, inputs)]
            entry["speedup_over_numpy"] = round(speed / numpy_speed[(method, inputs)], 1)
        results.append(entry)
    full = {int(b.get("run_name", b["name"]).split("/")[1]): {"ms": round(b["real_time"], 1),
                                           "iterations": int(b["weiszfeld_iterations"])}
            for b in benchmarks if b.get("run_name", b["name"]).startswith("BM_GeoMedianFull/")}
    summary = {
        "params": 25_000_000,
        "dtype": "f32",
        "read_bandwidth_bytes_per_second": {"1_thread": bandwidth.get(1), "2_threads": read2},
        "results": results,
        "geomedian_to_convergence": full,
        "numpy_version": numpy.get("numpy_version"),
    }
    json.dump(summary, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
