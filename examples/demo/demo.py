"""Swarm's main job on one machine (run it as scripts/demo): certificates, a sentinel SN and
N SL nodes, each with an ML program that trains a Fashion-MNIST classifier on a non-IID
shard (a few of the ten classes). It shows progress while the swarm trains, then trains
each node's local-only model and a central model on all the data with the same budget,
and ends with a table of test accuracies. Everything goes under the workspace: certificates,
logs, each node's model directory, and final_model/ with the Swarm model.

    scripts/demo [--nodes 4] [--epochs 5] [--merge-method mean] [--workspace DIR]

It stops everything it started on exit, Ctrl-C or failure, and exits non-zero if anything
failed.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from local_swarm import FINAL_LINE, PYTHON, ROOT, Process, free_port  # noqa: E402

PROGRAM = os.path.join(HERE, "fashion_mnist.py")


class DemoError(Exception):
    pass


def shard(i, n):
    """The classes node i of n trains on: a window of the ten labels, overlapping its
    neighbours' so that together they cover all ten, each node seeing only a few."""
    width = min(10, -(-10 // n) + 1)
    start = i * 10 // n
    return sorted({(start + k) % 10 for k in range(width)})


class Demo:
    def __init__(self, args):
        self.args = args
        self.swarm = args.swarm
        self.ws = os.path.abspath(args.workspace)
        self.logs = os.path.join(self.ws, "logs")
        self.procs = []
        self.started = time.monotonic()

    def say(self, text):
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    def start(self, name, args, env=None):
        p = Process(name, args, os.path.join(self.logs, f"{name}.log"), env)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            p.stop()
        self.procs = []

    def cert(self, name):
        return os.path.join(self.ws, "demo", "cert", name)

    def tls(self, role):
        return ["--key", self.cert(f"{role}-1-key.pem"), "--cert", self.cert(f"{role}-1-cert.pem"),
                "--capath", self.cert("ca/capath")]

    def run(self):
        shards, swarm_results = self.run_swarm()
        self.say("training the local-only models (each node's shard alone, the same way) ...")
        local = self.train_alone([(f"local{i + 1}", shards[i]) for i in range(self.args.nodes)])
        self.say("training the central model (all the data in one place, the same epochs) ...")
        central = self.train_alone([("central", list(range(10)))])[0]
        self.report(shards, swarm_results, local, central)
        return 0

    def run_swarm(self):
        """Certificates, a sentinel SN and the SL+ML pairs; returns each node's classes and
        result once all have the final model and agree on it."""
        a = self.args
        if os.path.exists(self.ws) and os.listdir(self.ws):
            raise DemoError(f"the workspace {self.ws} exists and is not empty; name a new one with --workspace")
        os.makedirs(self.logs)
        self.say(f"workspace {self.ws}")
        subprocess.run([self.swarm, "gen-cert", "-e", "demo", "-i", "1", "-o", self.ws, "--host-ip", "127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL)
        self.say("certificates made (one CA; sn, sl, swop, swci certificates)")

        api = free_port()
        sn = self.start("sn", [self.swarm, "sn", "--sentinel", "--host-ip", "127.0.0.1", "--sn-api-port", str(api),
                               "--sn-p2p-port", str(free_port()), "--data-dir", os.path.join(self.ws, "sn")]
                        + self.tls("sn"))
        self.wait_for(sn, "Starting SWARM-API-SERVER", 60, "the sentinel SN to start its API server")
        self.say(f"sentinel SN up (API port {api})")

        shards = [shard(i, a.nodes) for i in range(a.nodes)]
        nodes = []
        for i in range(a.nodes):
            name = f"node{i + 1}"
            ml_env = self.ml_env(i, shards[i], os.path.join(self.ws, name, "model"))
            args = [self.swarm, "sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port", str(api),
                    "--sl-fs-port", str(free_port()), "--data-dir", os.path.join(self.ws, name, "sl"),
                    "--ml-name", name, "--ml-entrypoint", PYTHON, "--ml-cmd", PROGRAM] + self.tls("sl")
            for key, value in dict(ml_env, PROGRESS_EVERY="25").items():
                args += ["--ml-e", f"{key}={value}"]
            nodes.append(self.start(name, args))
            self.say(f"{name}: SL and ML program started, classes {shards[i]}")
        self.watch(nodes)
        swarm_results = [self.result(os.path.join(self.ws, f"node{i + 1}", "model")) for i in range(a.nodes)]
        self.check_equal_models(a.nodes)
        shutil.copytree(os.path.join(self.ws, "node1", "model"), os.path.join(self.ws, "final_model"),
                        ignore=shutil.ignore_patterns("*.log"))
        sn.stop()
        return shards, swarm_results

    def ml_env(self, i, classes, model_dir):
        a = self.args
        return {"MODEL_DIR": model_dir, "NODE_CLASSES": ",".join(map(str, classes)), "MAX_EPOCHS": str(a.epochs),
                "MIN_PEERS": str(a.nodes), "SYNC_FREQUENCY": str(a.sync_frequency), "MERGE_METHOD": a.merge_method,
                "SEED": str(i + 1), "DATA_DIR": a.data_dir}

    def wait_for(self, p, text, timeout, what):
        deadline = time.monotonic() + timeout
        while text not in p.log():
            if not p.running():
                raise DemoError(f"{p.name} exited with status {p.popen.returncode} while waiting for {what}; "
                                f"its log ({p.log_path}) ends:\n{p.tail()}")
            if time.monotonic() > deadline:
                raise DemoError(f"waited {timeout} s for {what}; {p.name}'s log ({p.log_path}) ends:\n{p.tail()}")
            time.sleep(0.1)

    def watch(self, nodes):
        """Prints each node's round and training figures every few seconds until all end."""
        deadline = time.monotonic() + self.args.timeout
        last = 0.0
        while any(p.running() for p in nodes):
            for p in nodes:
                if not p.running() and p.popen.returncode != 0:
                    raise DemoError(f"{p.name} failed (exit status {p.popen.returncode}); its log ({p.log_path}) "
                                    f"ends:\n{p.tail()}")
            if time.monotonic() > deadline:
                raise DemoError(f"the swarm did not finish within {self.args.timeout} s (--timeout); logs in "
                                f"{self.logs}")
            if time.monotonic() - last >= 5:
                last = time.monotonic()
                self.say("  ".join(self.status(p) for p in nodes))
            time.sleep(0.2)
        for p in nodes:
            if p.popen.returncode != 0 or FINAL_LINE not in p.log():
                raise DemoError(f"{p.name} ended with status {p.popen.returncode} without the final model; its "
                                f"log ({p.log_path}) ends:\n{p.tail()}")
        self.say("  ".join(self.status(p) for p in nodes))
        self.say(f"all {len(nodes)} nodes finished with the final Swarm model")

    @staticmethod
    def status(p):
        log = p.log()
        rounds = re.findall(r"merged model of round (\d+) loaded", log)
        progress = re.findall(r"progress: epoch (\d+)/(\d+) batch \d+/\d+ loss ([0-9.]+) accuracy ([0-9.]+)", log)
        text = f"{p.name}: round {rounds[-1] if rounds else '-'}"
        if progress:
            e, t, loss, acc = progress[-1]
            text += f", epoch {e}/{t}, loss {float(loss):.3f}, acc {float(acc):.3f}"
        if not p.running():
            text += ", done"
        return text

    def train_alone(self, runs, at_once=2):
        """Trains each (name, classes) with SWARM_LOOPBACK=TRUE, `at_once` at a time."""
        results, pending, running = {}, list(runs), []
        deadline = time.monotonic() + self.args.timeout
        while pending or running:
            while pending and len(running) < at_once:
                name, classes = pending.pop(0)
                model_dir = os.path.join(self.ws, name)
                env = dict(os.environ, SWARM_LOOPBACK="TRUE", **self.ml_env(0, classes, model_dir))
                running.append((self.start(name, [PYTHON, PROGRAM], env), model_dir))
            for p, model_dir in list(running):
                if p.running():
                    continue
                if p.popen.returncode != 0:
                    raise DemoError(f"{p.name} failed (exit status {p.popen.returncode}); its log ({p.log_path}) "
                                    f"ends:\n{p.tail()}")
                results[p.name] = self.result(model_dir)
                running.remove((p, model_dir))
            if time.monotonic() > deadline:
                raise DemoError(f"the baselines did not finish within {self.args.timeout} s (--timeout)")
            time.sleep(0.2)
        return [results[name] for name, _ in runs]

    @staticmethod
    def result(model_dir):
        with open(os.path.join(model_dir, "result.json")) as f:
            return json.load(f)

    def check_equal_models(self, n):
        blobs = set()
        for i in range(n):
            with open(os.path.join(self.ws, f"node{i + 1}", "model", "final_params.bin"), "rb") as f:
                blobs.add(f.read())
        if len(blobs) != 1:
            raise DemoError("the nodes ended with different final models")

    def report(self, shards, swarm_results, local, central):
        swarm_acc = swarm_results[0]["test_accuracy"]
        rows = [("Swarm model (every node)", "non-IID shards, merged", swarm_acc)]
        rows += [(f"node {i + 1} local-only", "classes " + ",".join(map(str, s)), r["test_accuracy"])
                 for i, (s, r) in enumerate(zip(shards, local))]
        rows.append(("central (all data in one place)", "classes 0-9", central["test_accuracy"]))
        print()
        print(f"Test accuracy on the 10,000 Fashion-MNIST test images ({self.args.epochs} epochs, "
              f"{swarm_results[0]['rounds']} Swarm rounds, merge method {self.args.merge_method}):")
        print(f"  {'model':34} {'trained on':26} accuracy")
        for name, data, acc in rows:
            print(f"  {name:34} {data:26} {acc:8.4f}")
        beaten = all(swarm_acc > r["test_accuracy"] for r in local)
        print()
        print("The Swarm model beats every local-only model." if beaten else
              "The Swarm model does NOT beat every local-only model.")
        summary = {"workspace": self.ws, "nodes": self.args.nodes, "epochs": self.args.epochs,
                   "merge_method": self.args.merge_method, "rounds": swarm_results[0]["rounds"],
                   "swarm_accuracy": swarm_acc, "local_accuracy": [r["test_accuracy"] for r in local],
                   "central_accuracy": central["test_accuracy"], "seconds": round(time.monotonic() - self.started, 1)}
        with open(os.path.join(self.ws, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        print(f"Final model: {os.path.join(self.ws, 'final_model', 'fashion_mnist.pt')}; logs: {self.logs}; "
              f"summary: {os.path.join(self.ws, 'summary.json')}; {summary['seconds']} s in all.")


def on_sigterm(signum, frame):
    # SIGTERM ends the demo as Ctrl-C does: through main's finally, which stops every process.
    raise KeyboardInterrupt


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=positive, default=4, help="SL+ML pairs (default 4)")
    parser.add_argument("--epochs", type=positive, default=5, help="local epochs per node (default 5)")
    parser.add_argument("--merge-method", choices=["mean", "coordmedian", "geomedian"], default="mean")
    parser.add_argument("--sync-frequency", type=positive, default=25, help="batches between rounds (default 25)")
    parser.add_argument("--workspace", default=os.path.join("workspace", time.strftime("demo-%Y%m%d-%H%M%S")),
                        help="a new or empty directory for everything (default workspace/demo-DATE-TIME)")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist",
                        help="the gzipped Fashion-MNIST IDX files (Debian package dataset-fashion-mnist)")
    parser.add_argument("--swarm", default=os.path.join(ROOT, "build", "src", "cli", "swarm"),
                        help="the swarm binary (default build/src/cli/swarm)")
    parser.add_argument("--timeout", type=positive, default=1200, help="seconds before giving up (default 1200)")
    return parser.parse_args(argv)


def check_and_prepare(args):
    """Exits with the reason if the binary or the data is missing; points PYTHONPATH at the
    checkout's swarmlearning package."""
    if not os.access(args.swarm, os.X_OK):
        sys.exit(f"demo: {args.swarm} is not there; run scripts/setup first (it builds swarm)")
    if not os.path.exists(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz")):
        sys.exit(f"demo: no Fashion-MNIST in {args.data_dir} (train-images-idx3-ubyte.gz ...); "
                 "install the Debian package dataset-fashion-mnist (scripts/setup does) or pass --data-dir")
    # The ML programs import swarmlearning from this checkout's build, whatever a .pth says.
    package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.swarm))), "..", "python")
    if os.path.isdir(package):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.normpath(package),
                                                                 os.environ.get("PYTHONPATH")]))


def main():
    args = parse_args()
    check_and_prepare(args)
    signal.signal(signal.SIGTERM, on_sigterm)
    demo = Demo(args)
    try:
        code = demo.run()
    except DemoError as e:
        print(f"demo failed: {e}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("demo interrupted; stopping everything it started", file=sys.stderr)
        code = 130
    except subprocess.CalledProcessError as e:
        print(f"demo failed: {' '.join(e.cmd[:3])} exited with status {e.returncode}", file=sys.stderr)
        code = 1
    finally:
        demo.stop_all()
    sys.exit(code)


if __name__ == "__main__":
    main()
