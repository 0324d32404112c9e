"""examples/cpp-libtorch/run as its README shows it, with one epoch and a built program:
two (and three) C++ nodes (train.cc: LibTorch + swarm::SwarmCallback) end with the same
final model, which classifies the test set well; the saved model.pt holds exactly the final
parameters; Ctrl-C and a failing program stop everything; bad settings get a clear error.

Run: /usr/bin/python3 examples/cpp-libtorch/example_test.py --swarm PATH_TO_SWARM --program PATH_TO_cpp_libtorch_example
"""
import gzip
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
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))
import swarm_args  # noqa: E402

RUN = os.path.join(HERE, "run")
DATA_DIR = "/usr/share/datasets/fashion-mnist"
FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."
ACCURACY_FLOOR = 0.75  # one epoch reaches about 0.83 with 2 nodes, 0.82 with 3
SWARM, PROGRAM = None, None


def processes_in(path):
    """Pids of live processes working in `path` or naming it on their command line."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if cwd == path or cwd.startswith(path + "/") or path.encode() in cmdline:
            pids.append(int(pid))
    return pids


def load_test_set(torch):
    """The 10,000 test images as [n, 784] floats in [0, 1] and their labels, read independently
    of the program's reader."""
    with gzip.open(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz")) as f:
        images = f.read()[16:]
    with gzip.open(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = f.read()[8:]
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(-1, 784).float() / 255
    return x, torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()


class CppLibtorchExampleTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_cpp_libtorch_example_")
        self.ws = os.path.join(self.root, "ws")
        self.output = ""

    def tearDown(self):
        for pid in processes_in(self.ws):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self, **settings):
        return dict(os.environ, **dict(dict(SWARM=SWARM, PROGRAM=PROGRAM, WORKSPACE=self.ws), **settings))

    def start(self, **settings):
        return subprocess.Popen([RUN], env=self.env(**settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

    def run_example(self, **settings):
        """Runs `run` to its end with one epoch; returns (exit status, output)."""
        p = self.start(**dict(dict(MAX_EPOCHS="1"), **settings))
        try:
            self.output, _ = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)  # run stops what it started
            self.output, _ = p.communicate(timeout=60)
            self.fail(f"run did not finish within 300 s:\n{self.output}")
        return p.returncode, self.output

    def check_nodes_end_with_the_same_good_model(self, nodes):
        import torch
        started = time.monotonic()
        code, out = self.run_example(NODES=str(nodes))
        self.assertEqual(code, 0, out)
        self.assertIn(f"workspace {self.ws}", out)
        for step in ("gen-cert -e cpp-libtorch -i 1 -o $WS", "sn --sentinel --host-ip 127.0.0.1",
                     f"--ml-entrypoint {PROGRAM}", f"--ml-e NODE_INDEX={nodes} --ml-e NODE_COUNT={nodes}"):
            self.assertIn(step, out)
        self.assertIn(f"{'both' if nodes == 2 else f'all {nodes}'} nodes hold the same final Swarm model", out)
        ex = os.path.join(self.ws, "cpp-libtorch")
        x_test, y_test = load_test_set(torch)
        states = []
        for node in range(1, nodes + 1):
            with open(os.path.join(ex, "logs", f"sl{node}.log"), errors="replace") as f:
                log = f.read()
            self.assertIn(FINAL_LINE, log, f"SL {node}")
            self.assertIn(f"cpp_libtorch_example: node {node} of {nodes}, training on {60000 // nodes} images", log)
            model_dir = os.path.join(ex, f"node{node}", "model")
            with open(os.path.join(model_dir, "result.json")) as f:
                result = json.load(f)
            self.assertEqual(result["epochs"], 1)
            self.assertGreater(result["rounds"], 5)  # 469 (313) batches at 32 a round: 15 (10)
            self.assertTrue(os.path.isfile(os.path.join(ex, f"node{node}", "scratch", "model_epoch1.pt")))
            # torch::save wrote a TorchScript archive, which Python loads as it is.
            state = torch.jit.load(os.path.join(model_dir, "model.pt")).state_dict()
            self.assertEqual(list(state), ["hidden.weight", "hidden.bias", "output.weight", "output.bias"])
            with open(os.path.join(model_dir, "final_params.bin"), "rb") as f:
                raw = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
            self.assertTrue(torch.equal(raw, torch.cat([t.flatten() for t in state.values()])),
                            f"node {node}: model.pt and final_params.bin differ")
            with torch.no_grad():
                hidden = torch.relu(x_test @ state["hidden.weight"].T + state["hidden.bias"])
                logits = hidden @ state["output.weight"].T + state["output.bias"]
            measured = (logits.argmax(1) == y_test).double().mean().item()
            self.assertAlmostEqual(measured, result["test_accuracy"], delta=0.001)
            self.assertGreater(measured, ACCURACY_FLOOR, f"node {node}")
            states.append(state)
            print(json.dumps({"nodes": nodes, "node": node, "test_accuracy": measured, "rounds": result["rounds"]}),
                  file=sys.stderr)
        for node, state in enumerate(states[1:], start=2):
            for name in states[0]:
                self.assertTrue(torch.equal(states[0][name], state[name]), f"{name} differs between nodes 1 and {node}")
        self.assertEqual(processes_in(self.ws), [], "run left processes behind")
        print(f"run with {nodes} nodes: {time.monotonic() - started:.1f} s", file=sys.stderr)

    def test_two_cpp_nodes_end_with_the_same_good_model(self):
        self.check_nodes_end_with_the_same_good_model(2)

    def test_three_cpp_nodes_end_with_the_same_good_model(self):
        self.check_nodes_end_with_the_same_good_model(3)

    def test_ctrl_c_stops_everything_it_started(self):
        p = self.start(MAX_EPOCHS="200")
        deadline = time.monotonic() + 120
        while "step 4: waiting for the SLs" not in self.output:
            line = p.stdout.readline()
            self.output += line
            if not line or time.monotonic() > deadline:
                p.kill()
                self.fail(f"run did not start the SLs:\n{self.output}")
        time.sleep(3)
        self.assertGreaterEqual(len(processes_in(self.ws)), 4)  # the SN, 2 SLs, their programs
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        self.output += out
        self.assertEqual(p.returncode, 130, self.output)
        self.assertIn("run: interrupted; stopping everything it started", out)
        self.assertEqual(processes_in(self.ws), [], "processes outlived run")

    def test_a_failing_program_fails_run(self):
        # The program refuses a data directory without the training files; its SL fails, then run.
        data = os.path.join(self.root, "data")
        os.makedirs(data)
        for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                     "t10k-labels-idx1-ubyte.gz"):
            with gzip.open(os.path.join(data, name), "wb") as f:
                f.write(b"not IDX")
        code, out = self.run_example(DATA_DIR=data)
        self.assertEqual(code, 1, out)
        self.assertIn("not an IDX file of unsigned bytes", out)
        self.assertIn("nothing it started is left running", out)
        self.assertEqual(processes_in(self.ws), [], "run left processes behind")

    def test_bad_settings_are_refused_clearly(self):
        for settings, message in ((dict(MAX_EPOCHS="0"), "MAX_EPOCHS must be a positive integer; got '0'"),
                                  (dict(NODES="4"), "NODES must be 2 or 3; got '4'"),
                                  (dict(PROGRAM="/nonexistent/program"), "PROGRAM (/nonexistent/program) is not an"),
                                  (dict(SWARM="/nonexistent/swarm"), "/nonexistent/swarm is not there"),
                                  (dict(DATA_DIR=self.root), f"no train-images-idx3-ubyte.gz in DATA_DIR ({self.root})"),
                                  (dict(SN_API_PORT="http"), "SN_API_PORT must be a port number")):
            p = subprocess.run([RUN], env=self.env(**settings), capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, settings)
            self.assertIn(message, p.stderr)
        os.makedirs(self.ws)
        open(os.path.join(self.ws, "keep.txt"), "w").close()
        p = subprocess.run([RUN], env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("exists and is not empty; name a new one with WORKSPACE", p.stderr)
        self.assertEqual(os.listdir(self.ws), ["keep.txt"])
        # The program names the setting it refuses.
        p = subprocess.run([PROGRAM], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, NODE_INDEX="3", NODE_COUNT="2", SWARM_LOOPBACK="TRUE"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("cpp_libtorch_example: NODE_INDEX must be between 1 and NODE_COUNT (2); got 3", p.stderr)


def main():
    global SWARM, PROGRAM
    swarm, argv = swarm_args.split(sys.argv)
    SWARM = os.path.abspath(swarm)
    if "--program" not in argv or argv.index("--program") + 1 >= len(argv):
        sys.exit("usage: example_test.py --swarm PATH_TO_SWARM --program PATH_TO_cpp_libtorch_example [unittest args]")
    i = argv.index("--program")
    PROGRAM = os.path.abspath(argv[i + 1])
    del argv[i:i + 2]
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
