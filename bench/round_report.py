"""The round benchmark of record (scripts/bench round): build/bench/round_benchmark's rows, with
Flower 1.4's FedAvg round for the same model size and node count measured in the same run when
its harness and source are here, and the training-overhead row (bench/training_overhead.py).
Prints one JSON document on stdout and a table on stderr.

    bench/round_report.py [--sizes 1,100] [--sls 2,4,8] [--rounds 3] [--no-flower] [--no-overhead]

Flower is optional: FLOWER_HARNESS (default ../shared/anchors/flower beside the checkout, its
round_bench.py) and FLOWER_SRC (default /tmp/flower-src, a checkout of Flower v1.4.0 holding
src/py/flwr; see that harness's README). Without them the Flower columns are left out, saying why.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PYTHON = "/usr/bin/python3"


def flower_setup():
    """(harness script, environment) or (None, the reason Flower is left out)."""
    harness = os.environ.get("FLOWER_HARNESS", os.path.join(ROOT, "..", "shared", "anchors", "flower"))
    src = os.environ.get("FLOWER_SRC", "/tmp/flower-src")
    script = os.path.join(harness, "round_bench.py")
    if not os.path.exists(script):
        return None, f"no Flower harness at {script} (FLOWER_HARNESS)"
    if not os.path.isdir(os.path.join(src, "src", "py", "flwr")):
        return None, f"no Flower source at {src}/src/py/flwr (FLOWER_SRC; see {harness}/README.md)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(src, "src", "py"), os.path.join(harness, "shim")]),
               FLWR_TELEMETRY_ENABLED="0", PYTHONDONTWRITEBYTECODE="1")
    probe = subprocess.run([PYTHON, "-c", "import flwr, grpc, google.protobuf, numpy"], env=env,
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None, "Flower does not import: " + probe.stderr.strip().splitlines()[-1]
    return script, env


def run_flower(script, env, sizes_mb, sls, rounds, workdir):
    out = os.path.join(ROOT, "build", "bench", "round_flower.jsonl")  # kept: the raw lines
    if os.path.exists(out):
        os.remove(out)
    params = ",".join(str(mb * 250_000) for mb in sizes_mb)  # f32: 4 bytes each
    cmd = [PYTHON, script, "--params", params, "--clients", ",".join(map(str, sls)), "--rounds", str(rounds),
           "--label", "swarm-bench", "--logdir", os.path.join(workdir, "flower-logs"), "--out", out]
    print("running Flower 1.4 (" + " ".join(cmd[2:8]) + ") ...", file=sys.stderr)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    rows = {}
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            if "round_s_median" in r:
                rows[(r["bytes"] // 1_000_000, r["clients"])] = r
    return rows


def table(rows, overhead):
    lines = ["| model × nodes | Flower 1.4 (s) | Swarm (s) | Swarm ÷ Flower | floor (s) | round ÷ floor | "
             "SL peak RSS ÷ model |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model_mb']} MB × {r['sls']} | | error: {r['error'][:60]} | | | | |")
            continue
        flower = r.get("flower_round_seconds_median")
        lines.append(f"| {r['model_mb']} MB × {r['sls']} | {flower if flower is not None else '—'} | "
                     f"{r['round_seconds_median']} | {r.get('ratio_to_flower', '—')} | {r['floor_busiest_seconds']} | "
                     f"{r['ratio']} | {r.get('sl_peak_rss_over_model', '—')} |")
    if overhead:
        lines.append("")
        lines.append(f"training overhead ({overhead['nodes']} nodes, {overhead['epochs']} epochs, sync every "
                     f"{overhead['sync_frequency']} batches, {overhead['rounds']} rounds): slowest node "
                     f"{max(overhead['swarm_train_seconds'])} s with Swarm, "
                     f"{max(overhead['loopback_train_seconds'])} s with SWARM_LOOPBACK=TRUE: ratio "
                     f"{overhead['ratio']} (target ≤ {overhead['target_ratio']})")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,100,400", help="model sizes in MB (default 1,100,400)")
    p.add_argument("--sls", default="2,4,8", help="node counts (default 2,4,8)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per row (default 3)")
    p.add_argument("--no-flower", action="store_true", help="leave out the Flower comparison")
    p.add_argument("--no-overhead", action="store_true", help="leave out the training-overhead row")
    a = p.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    sls = [int(x) for x in a.sls.split(",")]
    report = {"benchmark": "sync_round"}
    with tempfile.TemporaryDirectory(prefix="swarm_round_report_") as work:
        flower = {}
        if a.no_flower:
            report["flower"] = "left out (--no-flower)"
        else:
            script, env = flower_setup()
            if script is None:
                report["flower"] = "left out: " + env
                print("round_report: Flower " + report["flower"], file=sys.stderr)
            else:
                flower = run_flower(script, env, sizes, sls, a.rounds, work)
                report["flower"] = "Flower 1.4.0 FedAvg, zero-compute clients, loopback, insecure (its harness)"
        bench = subprocess.run([os.path.join(ROOT, "build", "bench", "round_benchmark"), "--sizes", a.sizes,
                                "--sls", a.sls, "--rounds", str(a.rounds)], stdout=subprocess.PIPE, text=True)
        if not bench.stdout.strip():
            print(f"round_report: build/bench/round_benchmark exited with {bench.returncode} and printed nothing",
                  file=sys.stderr)
            return 1
        swarm = json.loads(bench.stdout)
        report["floor"] = swarm["floor"]
        for r in swarm["rows"]:
            f = flower.get((r["model_mb"], r["sls"]))
            if f is not None and "round_seconds_median" in r:
                r["flower_round_seconds_median"] = round(f["round_s_median"], 4)
                r["ratio_to_flower"] = round(r["round_seconds_median"] / f["round_s_median"], 3)
        report["rows"] = swarm["rows"]
        overhead = None
        if not a.no_overhead:
            print("running bench/training_overhead.py ...", file=sys.stderr)
            o = subprocess.run([PYTHON, os.path.join(ROOT, "bench", "training_overhead.py")], stdout=subprocess.PIPE,
                               text=True)
            try:
                if o.returncode != 0:
                    raise ValueError(f"it exited with {o.returncode}")
                overhead = report["training_overhead"] = json.loads(o.stdout)
            except ValueError as e:  # json.JSONDecodeError is one
                report["training_overhead"] = {"error": f"bench/training_overhead.py: {e}"}
    print(json.dumps(report, indent=1))
    print(table(report["rows"], overhead), file=sys.stderr)
    return 0 if bench.returncode == 0 and (a.no_overhead or overhead) else 1


if __name__ == "__main__":
    sys.exit(main())
