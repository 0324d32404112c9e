"""What Swarm costs a training: the demo's swarm (scripts/demo's default run: a sentinel SN and
N SL+ML pairs on Fashion-MNIST shards) against the same N programs run at the same time with
SWARM_LOOPBACK=TRUE (each trains alone; the callback does nothing). Prints one JSON document.

    bench/training_overhead.py [--nodes 4] [--epochs 5] [--sync-frequency 25] [--keep]

Figures are the programs' own `train_seconds` (result.json: from the first batch to the end of
on_train_end, syncs included; data loading and start-up are left out on both sides), the
slowest node's, and the wall time of each phase from its first program start to its last exit.
"""
import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "demo"))
import demo  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=demo.positive, default=4)
    parser.add_argument("--epochs", type=demo.positive, default=5)
    parser.add_argument("--sync-frequency", type=demo.positive, default=25)
    parser.add_argument("--swarm", default=os.path.join(demo.ROOT, "build", "src", "cli", "swarm"))
    parser.add_argument("--keep", action="store_true", help="keep the workspace (logs, models)")
    a = parser.parse_args()
    ws = tempfile.mkdtemp(prefix="swarm_overhead_")
    args = demo.parse_args(["--nodes", str(a.nodes), "--epochs", str(a.epochs), "--sync-frequency",
                            str(a.sync_frequency), "--swarm", a.swarm, "--workspace", os.path.join(ws, "w")])
    demo.check_and_prepare(args)
    d = demo.Demo(args)
    with contextlib.redirect_stdout(sys.stderr):  # the demo's progress lines; stdout is the JSON
        try:
            began = time.monotonic()
            shards, swarm = d.run_swarm()
            swarm_wall = time.monotonic() - began
            began = time.monotonic()
            alone = d.train_alone([(f"alone{i + 1}", shards[i]) for i in range(a.nodes)], at_once=a.nodes)
            alone_wall = time.monotonic() - began
        finally:
            d.stop_all()
    slowest_swarm = max(r["train_seconds"] for r in swarm)
    slowest_alone = max(r["train_seconds"] for r in alone)
    print(json.dumps({
        "benchmark": "training_overhead",
        "nodes": a.nodes, "epochs": a.epochs, "sync_frequency": a.sync_frequency,
        "rounds": swarm[0]["rounds"],
        "swarm_train_seconds": [r["train_seconds"] for r in swarm],
        "loopback_train_seconds": [r["train_seconds"] for r in alone],
        "ratio": round(slowest_swarm / slowest_alone, 3),
        "target_ratio": 1.1,
        "swarm_phase_wall_seconds": round(swarm_wall, 1),
        "loopback_phase_wall_seconds": round(alone_wall, 1),
        "swarm_accuracy": swarm[0]["test_accuracy"],
    }, indent=2))
    if a.keep:
        print(f"workspace kept: {ws}", file=sys.stderr)
    else:
        shutil.rmtree(ws, ignore_errors=True)


if __name__ == "__main__":
    main()
