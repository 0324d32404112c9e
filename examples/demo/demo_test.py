"""The main job as a user runs it: scripts/demo with fewer epochs ends with the table, the
Swarm model beating every local-only model, the final model saved; Ctrl-C in the middle
stops every process it started; bad options get a clear error.

Run: /usr/bin/python3 demo_test.py --swarm PATH_TO_SWARM
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "scripts", "demo")
SWARM = None


def processes_mentioning(text):
    """Pids of live processes whose command line contains `text`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_demo_test_")
        self.ws = os.path.join(self.root, "ws")

    def tearDown(self):
        for pid in processes_mentioning(self.ws):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def demo(self, *args, **kw):
        return subprocess.Popen([DEMO, "--swarm", SWARM, "--workspace", self.ws] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)

    def test_three_nodes_beat_their_local_models_and_save_the_final_model(self):
        p = self.demo("--nodes", "3", "--epochs", "1")
        out, _ = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("The Swarm model beats every local-only model.", out)
        self.assertRegex(out, r"node3: round \d+")
        with open(os.path.join(self.ws, "summary.json")) as f:
            summary = json.load(f)
        print(json.dumps(summary), file=sys.stderr)
        for local in summary["local_accuracy"]:
            self.assertGreater(summary["swarm_accuracy"], local)
        self.assertTrue(os.path.isfile(os.path.join(self.ws, "final_model", "fashion_mnist.pt")))
        for name in ("sn", "node1", "node2", "node3", "local1", "central"):
            self.assertTrue(os.path.isfile(os.path.join(self.ws, "logs", f"{name}.log")), name)
        self.assertEqual(processes_mentioning(self.ws), [], "the demo left processes running")

    def test_ctrl_c_stops_everything_it_started(self):
        p = self.demo("--nodes", "2", "--epochs", "50")
        deadline = time.monotonic() + 120
        line = ""
        while "node2: SL and ML program started" not in line:
            line = p.stdout.readline()
            self.assertTrue(line and time.monotonic() < deadline, "the demo did not start its nodes")
        time.sleep(3)
        self.assertGreater(len(processes_mentioning(self.ws)), 2)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, out)
        self.assertIn("demo interrupted; stopping everything it started", out)
        self.assertEqual(processes_mentioning(self.ws), [], "processes outlived the demo")

    def test_bad_options_and_a_used_workspace_are_refused_clearly(self):
        p = self.demo("--nodes", "0")
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--nodes: must be a positive integer; got 0", out)
        os.makedirs(self.ws)
        open(os.path.join(self.ws, "keep.txt"), "w").close()
        p = self.demo()
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("exists and is not empty; name a new one with --workspace", out)
        self.assertEqual(os.listdir(self.ws), ["keep.txt"])


def main():
    global SWARM
    args = sys.argv[1:]
    if "--swarm" not in args:
        sys.exit("usage: demo_test.py --swarm PATH_TO_SWARM [unittest args]")
    i = args.index("--swarm")
    SWARM = os.path.abspath(args[i + 1])
    unittest.main(argv=[sys.argv[0]] + args[:i] + args[i + 2:])


if __name__ == "__main__":
    main()
