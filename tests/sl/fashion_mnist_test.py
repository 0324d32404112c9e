"""End to end with real processes, real TLS, real PyTorch on real data: a sentinel SN and
three SL nodes, each running a Fashion-MNIST program on a non-IID shard (four of the ten
classes), two epochs. Every node must finish with the same final model, and the Swarm
model must beat every node's local-only model, trained on the same shard the same way
(SWARM_LOOPBACK=TRUE).

Run: /usr/bin/python3 fashion_mnist_test.py --swarm PATH_TO_SWARM --pythonpath DIR
         [--program examples/demo/fashion_mnist.py | --program PATH_TO_fashion_mnist_torch]
"""
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import Process, SwarmNet  # noqa: E402

SHARDS = ["0,1,2,3", "3,4,5,6", "6,7,8,9"]
PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "demo",
                       "fashion_mnist.py")
SWARM, PYTHONPATH = None, None
FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."


def command(program):
    return ["/usr/bin/python3", program] if program.endswith(".py") else [program]


def result(model_dir):
    with open(os.path.join(model_dir, "result.json")) as f:
        return json.load(f)


def digest(model_dir):
    with open(os.path.join(model_dir, "final_params.bin"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class SwarmCase(unittest.TestCase):
    """A sentinel and three SL nodes, each training on its own shard."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_fmnist_")
        self.env = dict(os.environ, PYTHONPATH=PYTHONPATH, SL_WAIT_FOR_FULL_QUORUM_SECONDS="2",
                        SL_LEADER_FAILURE_BASE_TIMEOUT="20")
        self.net = SwarmNet(SWARM, self.root, hosts=3)

    def tearDown(self):
        self.net.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def ml_env(self, i, model_dir):
        return {"MODEL_DIR": model_dir, "NODE_CLASSES": SHARDS[i], "MIN_PEERS": "3", "MAX_EPOCHS": "2",
                "SEED": str(i + 1), "SYNC_FREQUENCY": "20"}

    def run_swarm(self, cmd, **extra_env):
        """Runs the three nodes to the end; returns [(SL process, model dir)]."""
        self.net.start_sentinel()
        nodes = []
        for i in range(3):
            model_dir = os.path.join(self.root, f"model{i + 1}")
            ml_env = dict(self.ml_env(i, model_dir), **extra_env)
            nodes.append((self.net.start_sl(i + 1, f"sl{i + 1}", cmd, ml_env, env=self.env), model_dir))
        for sl, model_dir in nodes:
            self.assertEqual(sl.wait(900), 0, sl.log())
            self.assertIn(FINAL_LINE, sl.log())
            program = os.path.splitext(os.path.basename(cmd[-1]))[0]
            with open(os.path.join(model_dir, f"{program}_sw.log")) as f:
                user_log = f.read()
            self.assertIn("connected to SL", user_log)
            self.assertIn("final model of round", user_log)
        return nodes


class FashionMnistTest(SwarmCase):
    def test_swarm_model_beats_every_local_model_and_all_nodes_end_equal(self):
        cmd = command(PROGRAM)
        # Local-only baselines: the same program and shard, without Swarm.
        local = []
        for i in range(3):
            model_dir = os.path.join(self.root, f"local{i + 1}")
            env = dict(self.env, SWARM_LOOPBACK="TRUE", **self.ml_env(i, model_dir))
            local.append((Process(cmd, os.path.join(self.root, f"local{i + 1}.log"), env=env), model_dir))
        self.net.procs += [p for p, _ in local]
        local_acc = []
        for p, model_dir in local:
            self.assertEqual(p.wait(600), 0, p.log())
            local_acc.append(result(model_dir)["test_accuracy"])

        nodes = self.run_swarm(cmd)
        digests = {digest(d) for _, d in nodes}
        self.assertEqual(len(digests), 1, "the nodes ended with different final models")
        swarm = [result(d) for _, d in nodes]
        swarm_acc = swarm[0]["test_accuracy"]
        summary = {"program": os.path.basename(cmd[-1]), "swarm_test_accuracy": round(swarm_acc, 4),
                   "local_test_accuracy": [round(a, 4) for a in local_acc],
                   "rounds": [r["rounds"] for r in swarm]}
        print(json.dumps(summary), file=sys.stderr)
        for i, acc in enumerate(local_acc):
            self.assertGreater(swarm_acc, acc, f"node {i + 1}'s local-only model beats the Swarm model: {summary}")
        for r in swarm:
            self.assertGreater(r["rounds"], 5)


class AdaptiveSyncTest(SwarmCase):
    """useAdaptiveSync with coordinate-wise median merging: the interval follows the
    validation loss, nodes sync at different batch counts, and still end equal."""

    def test_interval_follows_validation_loss_and_nodes_end_equal(self):
        if not PROGRAM.endswith(".py"):
            self.skipTest("adaptive sync is exercised with the Python program")
        nodes = self.run_swarm(command(PROGRAM), USE_ADAPTIVE_SYNC="1", MERGE_METHOD="coordmedian")
        self.assertEqual(len({digest(d) for _, d in nodes}), 1, "the nodes ended with different final models")
        pattern = re.compile(r"adaptive sync: validation loss ([0-9.]+) \(previous ([0-9.]+)\), "
                             r"syncFrequency (\d+) -> (\d+)")
        for sl, _ in nodes:
            steps = [(float(a), float(b), int(c), int(d)) for a, b, c, d in pattern.findall(sl.log())]
            self.assertGreater(len(steps), 5, sl.log())
            for loss, previous, before, after in steps:
                if loss < previous * (1 - 1e-3):  # improved: longer, up to 8 x syncFrequency
                    self.assertEqual(after, min(160, before + max(1, before // 2)), (loss, previous))
                else:  # did not improve: shorter, down to syncFrequency / 4
                    self.assertEqual(after, max(5, before // 2), (loss, previous))
            self.assertTrue(any(a > b for _, _, b, a in steps), "the interval never grew")
            self.assertTrue(any(a < b for _, _, b, a in steps), "the interval never shrank")
        accuracy = result(nodes[0][1])["test_accuracy"]
        print(json.dumps({"adaptive_sync_test_accuracy": round(accuracy, 4),
                          "rounds": [result(d)["rounds"] for _, d in nodes]}), file=sys.stderr)
        self.assertGreater(accuracy, 0.5)


def main():
    global SWARM, PYTHONPATH, PROGRAM
    SWARM, argv = swarm_args.split(sys.argv)
    for flag in ("--pythonpath", "--program"):
        if flag in argv:
            i = argv.index(flag)
            value = os.path.abspath(argv[i + 1])
            del argv[i:i + 2]
            if flag == "--pythonpath":
                PYTHONPATH = value
            else:
                PROGRAM = value
    if PYTHONPATH is None:
        sys.exit("usage: fashion_mnist_test.py --swarm PATH --pythonpath DIR [--program PATH]")
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
