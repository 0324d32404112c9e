"""examples/mnist-pyt/run as its README shows it, on less data: four SLs on one SN exit 0,
every ML program logs the final line, all four save the same final model, and that model
classifies the test images well (measured again here from the saved file); Ctrl-C stops
everything; a bad setting is refused naming it. run-swop, HPE's SWOP + SWCI flow, on the
same data: SWCI's transcript shows the RUN_SWARM task COMPLETED by 4 peers, and the models
the four nodes saved in their private data are the same and as good.

The data is a cut of Fashion-MNIST (the default stand-in for MNIST) written as gzipped IDX
files into a DATA_DIR of its own, as a user would put the real MNIST files there.

Run: /usr/bin/python3 examples/mnist-pyt/example_test.py --swarm build/src/cli/swarm --pythonpath build/python
"""
import gzip
import importlib.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))
import swarm_args  # noqa: E402

RUN = os.path.join(HERE, "run")
RUN_SWOP = os.path.join(HERE, "run-swop")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."
NODES = 4
TRAIN_IMAGES, TEST_IMAGES = 12000, 2000  # 2,700 training images a node, 300 for validation
ACCURACY_FLOOR = 0.65  # two epochs reach about 0.75 on this cut of Fashion-MNIST; chance is 0.1
SWARM, PYTHONPATH = None, None


def processes_in(path):
    """Pids of live processes naming `path` on their command line or working in it."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        # A path inside `path`: the bare directory is also on the command line of other tests'
        # pairs (a SWOP's sandbox lists every entry of /tmp for bubblewrap).
        if cwd == path or cwd.startswith(path + "/") or (path + "/").encode() in cmdline:
            pids.append(int(pid))
    return pids


def load_program():
    """model/mnist_pyt.py as a module: its network and its IDX reader."""
    spec = importlib.util.spec_from_file_location("mnist_pyt", os.path.join(HERE, "model", "mnist_pyt.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx(path, array):
    """`array` (uint8) as a gzipped IDX file, the format of MNIST's files."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + array.tobytes())


def write_cut(program, out):
    """The first TRAIN_IMAGES and TEST_IMAGES of Fashion-MNIST as MNIST-named IDX files."""
    os.makedirs(out)
    for prefix, count in (("train", TRAIN_IMAGES), ("t10k", TEST_IMAGES)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{prefix}-{kind}-ubyte.gz"
            write_idx(os.path.join(out, name), program.read_idx(os.path.join(FASHION_MNIST, name))[:count])


@unittest.skipUnless(os.path.isdir(FASHION_MNIST), f"no {FASHION_MNIST}: install dataset-fashion-mnist")
class MnistPytExampleTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_mnist_pyt_example_")
        self.ws = os.path.join(self.root, "ws")

    def tearDown(self):
        for pid in processes_in(self.root):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self, **settings):
        return dict(os.environ, SWARM=SWARM, PYTHONPATH=PYTHONPATH, WORKSPACE=self.ws, **settings)

    def check_models(self, program, data, model_dirs, output):
        """Node i (from 1) saved its result and model in model_dirs[i - 1]; every model is good,
        scores what its node said, and all are the same Swarm model."""
        import torch
        x_test, y_test = program.load(data, "t10k")
        states = []
        for i, model_dir in enumerate(model_dirs, 1):
            with open(os.path.join(model_dir, "result.json")) as f:
                result = json.load(f)
            self.assertEqual((result["node"], result["train_images"]), (i, 2700))
            self.assertGreaterEqual(result["rounds"], 4, f"node {i}")
            states.append(torch.load(os.path.join(model_dir, "mnist_pyt.pt")))
            model = program.Net()
            model.load_state_dict(states[-1])
            model.eval()
            measured = program.accuracy(model, x_test, y_test)
            self.assertAlmostEqual(measured, result["test_accuracy"], places=6)
            self.assertGreater(measured, ACCURACY_FLOOR, f"node {i}")
            self.assertIn(f"node {i}: test accuracy {measured:.4f}", output)
        for i, state in enumerate(states[1:], 2):
            self.assertEqual(list(state), list(states[0]))
            for name in state:
                self.assertTrue(torch.equal(state[name], states[0][name]), f"{name}: node {i} differs from node 1")
        self.assertIn(f"all {len(model_dirs)} nodes saved the same final Swarm model", output)

    def test_four_nodes_end_with_the_same_good_model(self):
        program = load_program()
        data = os.path.join(self.root, "data")
        write_cut(program, data)
        started = time.monotonic()
        done = subprocess.run([RUN], env=self.env(DATA_DIR=data, MAX_EPOCHS="2", SYNC_FREQUENCY="16"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=400)
        print(f"run took {time.monotonic() - started:.0f} s; its output ends:\n{done.stdout[-1500:]}", file=sys.stderr)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:])
        self.assertEqual(processes_in(self.root), [], "run left processes behind")

        ex = os.path.join(self.ws, "mnist-pyt")
        for i in range(1, NODES + 1):
            with open(os.path.join(ex, "logs", f"sl{i}.log")) as f:
                self.assertIn(FINAL_LINE, f.read(), f"SL {i}")
            self.assertTrue(os.path.isfile(os.path.join(ex, f"user{i}", "model", "mnist_pyt_sw.log")),
                            f"node {i}'s user log")
        self.check_models(program, data, [os.path.join(ex, f"user{i}", "model") for i in range(1, NODES + 1)],
                          done.stdout)

    def test_run_swop_the_swci_task_completes_and_four_nodes_end_with_the_same_good_model(self):
        program = load_program()
        data = os.path.join(self.root, "data")
        write_cut(program, data)
        started = time.monotonic()
        done = subprocess.run([RUN_SWOP], env=self.env(DATA_DIR=data, MAX_EPOCHS="2", SYNC_FREQUENCY="16",
                                                       TIMEOUT="300"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=400)
        print(f"run-swop took {time.monotonic() - started:.0f} s; its output ends:\n{done.stdout[-1500:]}",
              file=sys.stderr)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:])
        self.assertEqual(processes_in(self.root), [], "run-swop left processes behind")
        with open(os.path.join(self.ws, "mnist-pyt", "logs", "swci.log")) as f:
            transcript = f.read()
        self.assertIn(f"ASSIGN TASK swarm_mnist_task TO defaulttaskbb.taskdb.sml.hpe WITH {NODES} PEERS", transcript)
        self.assertRegex(transcript, r"TASK STATE +: COMPLETED")
        self.assertRegex(transcript, rf"COMPLETED PEERS +: {NODES}")
        self.assertIn("CONTRACT RESET : defaultbb.cqdb.sml.hpe", transcript)
        # Each node's model is in its private data (NODE_INDEX from the profile).
        self.check_models(program, data,
                          [os.path.join(self.ws, f"user{i}", "app-data", "model") for i in range(1, NODES + 1)],
                          done.stdout)

    def test_ctrl_c_stops_everything(self):
        p = subprocess.Popen([RUN], env=self.env(MAX_EPOCHS="50"), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        output = ""
        deadline = time.monotonic() + 120
        while "step 4:" not in output and time.monotonic() < deadline and p.poll() is None:
            output += p.stdout.readline()
        self.assertIn("step 4:", output)
        time.sleep(2)  # the SLs and their programs are starting
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, output + rest)
        self.assertIn("nothing it started is left running", rest)
        self.assertEqual(processes_in(self.root), [], "run left processes behind")

    def test_bad_settings_are_refused_naming_them(self):
        for settings, message in (({"NODES": "0"}, "NODES must be a positive integer; got '0'"),
                                  ({"SN_API_PORT": "70000"}, "SN_API_PORT must be a port number"),
                                  ({"DATA_DIR": self.root}, f"no train-images-idx3-ubyte.gz in DATA_DIR ({self.root})")):
            done = subprocess.run([RUN], env=self.env(**settings), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=60)
            self.assertEqual(done.returncode, 1, done.stdout)
            self.assertIn(message, done.stdout)
            self.assertFalse(os.path.exists(self.ws), "a refused run made its workspace")


def main():
    global SWARM, PYTHONPATH
    swarm, argv = swarm_args.split(sys.argv)
    SWARM = os.path.abspath(swarm)
    if "--pythonpath" in argv and argv.index("--pythonpath") + 1 < len(argv):
        i = argv.index("--pythonpath")
        PYTHONPATH = os.path.abspath(argv[i + 1])
        del argv[i:i + 2]
    else:  # the build next to the swarm binary
        PYTHONPATH = os.path.normpath(os.path.join(os.path.dirname(SWARM), "..", "..", "python"))
    sys.path.insert(0, PYTHONPATH)  # load_program imports swarmlearning
    unittest.main(module="__main__", argv=argv)


if __name__ == "__main__":
    main()
