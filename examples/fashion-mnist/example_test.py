"""The Fashion-MNIST example as its README runs it, with one epoch: `run` (two SNs, a SWOP
per host, SWCI assigning swarm_fmnist_task) on loopback and with HOSTS=netns (two network
namespaces; skipped, with the reason, where they cannot be made) exits 0, SWCI's transcript
shows the task COMPLETED and LIST NODES the SWOPs as parents of the SLs, both SLs log the
final line, both nodes save the same final model in their private data and it classifies
the test set well; Ctrl-C stops everything; bad settings get a clear error.

Run: /usr/bin/python3 examples/fashion-mnist/example_test.py --swarm build/src/cli/swarm --pythonpath build/python
"""
import importlib.util
import json
import os
import re
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
FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."
ACCURACY_FLOOR = 0.75  # one epoch on half the data each reaches about 0.82
SWARM, PYTHONPATH = None, None


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
        # A path inside `path`: the bare directory is also on the command line of other tests'
        # pairs (a SWOP's sandbox lists every entry of /tmp for bubblewrap).
        if cwd == path or cwd.startswith(path + "/") or (path + "/").encode() in cmdline:
            pids.append(int(pid))
    return pids


def namespaces():
    try:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    except OSError:  # no ip command: no namespaces either
        return set()
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def load_program():
    """examples/fashion-mnist/model/fmnist.py as a module (its network and data loader)."""
    spec = importlib.util.spec_from_file_location("fmnist", os.path.join(HERE, "model", "fmnist.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ExampleTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_fmnist_example_")
        self.ws = os.path.join(self.root, "ws")
        self.output = ""

    def tearDown(self):
        for pid in processes_in(self.ws):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for ns in set(re.findall(r"ip netns add (\S+)", self.output)) & namespaces():
            subprocess.run(["ip", "netns", "delete", ns])
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self, **settings):
        return dict(os.environ, SWARM=SWARM, PYTHONPATH=PYTHONPATH, WORKSPACE=self.ws, **settings)

    def start(self, **settings):
        return subprocess.Popen([RUN], env=self.env(**settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

    def run_example(self, **settings):
        """Runs `run` to its end; returns (exit status, output)."""
        p = self.start(MAX_EPOCHS="1", **settings)
        try:
            self.output, _ = p.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)  # run stops what it started
            self.output, _ = p.communicate(timeout=60)
            self.fail(f"run did not finish within 400 s:\n{self.output}")
        return p.returncode, self.output

    def sl_log(self, host):
        return os.path.join(self.ws, f"host{host}", "swop", "fmnist", "sl-0", "sl.log")

    def check_swci_transcript(self):
        with open(os.path.join(self.ws, "host1", "logs", "swci.log")) as f:
            out = f.read()
        for line in ("TASK CREATED : swarm_fmnist_task (RUN_SWARM", "TASK FINALIZED : swarm_fmnist_task",
                     "TASK ASSIGNED : swarm_fmnist_task TO defaulttaskbb.taskdb.sml.hpe WITH 2 PEERS",
                     "WAITING FOR TASKRUNNER TO COMPLETE", "CONTRACT RESET : defaultbb.cqdb.sml.hpe"):
            self.assertIn(line, out)
        self.assertRegex(out, r"TASK STATE\s*: COMPLETED")
        self.assertRegex(out, r"COMPLETED PEERS\s*: 2")
        # LIST NODES: two SWOPs, and two SLs, each with a SWOP as its parent, one per SWOP.
        swops = {l.split()[3]: l.split()[4] for l in out.splitlines() if l.startswith("SWOP ")}
        self.assertEqual(set(swops), {"swop1", "swop2"}, out)
        parents = sorted(l.split()[5] for l in out.splitlines() if l.startswith("SL "))
        self.assertEqual(parents, sorted(swops.values()), out)

    def check_nodes_end_with_the_same_good_model(self):
        import torch
        program = load_program()
        x_test, y_test = program.load("/usr/share/datasets/fashion-mnist", "t10k")
        states = []
        self.check_swci_transcript()
        for host in (1, 2):
            with open(self.sl_log(host)) as f:
                self.assertIn(FINAL_LINE, f.read(), f"SL {host}")
            # The final model is in the node's private data (MODEL_DIR=app-data/model).
            model_dir = os.path.join(self.ws, f"host{host}", "fmnist", f"user{host}", "app-data", "model")
            states.append(torch.load(os.path.join(model_dir, "fmnist_pyt.pt")))
            with open(os.path.join(model_dir, "result.json")) as f:
                result = json.load(f)
            self.assertEqual(result["epochs"], 1)
            self.assertGreater(result["rounds"], 5)
            model = program.FashionNet()
            model.load_state_dict(states[-1])
            measured = program.accuracy(model, x_test, y_test)
            self.assertAlmostEqual(measured, result["test_accuracy"], places=6)
            self.assertGreater(measured, ACCURACY_FLOOR, f"node {host}")
            print(json.dumps({"node": host, "test_accuracy": measured, "rounds": result["rounds"]}),
                  file=sys.stderr)
        self.assertEqual(list(states[0]), list(states[1]))
        for name in states[0]:
            self.assertTrue(torch.equal(states[0][name], states[1][name]), f"{name} differs between the nodes")
        self.assertIn("both nodes hold the same final Swarm model", self.output)
        self.assertEqual(processes_in(self.ws), [], "run left processes behind")

    def test_two_hosts_on_loopback_end_with_the_same_model(self):
        started = time.monotonic()
        code, out = self.run_example()
        self.assertEqual(code, 0, out)
        self.assertIn(f"workspace {self.ws}", out)
        for step in ("swarm gen-cert -e fmnist -i 2 -o host2", "swarm sn --sentinel --host-ip 127.0.0.1",
                     "swarm sn --sentinel-ip 127.0.0.1",
                     "swarm swop --name swop2 --sn-ip 127.0.0.1", "--usr-dir host2/fmnist/swop "
                     "--profile-file-name swop2_profile.yaml --key host2/fmnist/cert/swop-2-key.pem",
                     "swarm swci --usr-dir host1/fmnist/swci --init-script-name swci-init",
                     "task swarm_fmnist_task COMPLETED"):
            self.assertIn(step, out)
        self.check_nodes_end_with_the_same_good_model()
        print(f"loopback: {time.monotonic() - started:.1f} s", file=sys.stderr)

    def test_two_hosts_in_network_namespaces_end_with_the_same_model(self):
        started = time.monotonic()
        code, out = self.run_example(HOSTS="netns")
        if code == 77:
            self.skipTest(out.strip().splitlines()[-1])
        self.assertEqual(code, 0, out)
        for step in ("swarm gen-cert -e fmnist -i 1 -o host1 --host-ip 10.77.0.1",
                     "swarm sn --sentinel-ip 10.77.0.1 --sentinel-api-port 30304 --host-ip 10.77.0.2",
                     "swarm swop --name swop2 --sn-ip 10.77.0.2 --sn-api-port 30304"):
            self.assertIn(step, out)
        # The SLs reached each other's file servers at the namespaces' addresses.
        with open(self.sl_log(1)) as f:
            self.assertRegex(f.read(), r"fetched \d+ bytes of blob \w+ from 10\.77\.0\.2:30305")
        with open(self.sl_log(2)) as f:
            self.assertRegex(f.read(), r"fetched \d+ bytes of blob \w+ from 10\.77\.0\.1:30305")
        self.check_nodes_end_with_the_same_good_model()
        made = set(re.findall(r"ip netns add (\S+)", out))
        self.assertEqual(len(made), 2, out)
        self.assertEqual(made & namespaces(), set(), "run left its network namespaces behind")
        print(f"netns: {time.monotonic() - started:.1f} s", file=sys.stderr)

    def test_ctrl_c_stops_everything_it_started(self):
        p = self.start(MAX_EPOCHS="50")
        deadline = time.monotonic() + 120
        while "step 8: waiting for SWCI" not in self.output:
            line = p.stdout.readline()
            self.output += line
            if not line or time.monotonic() > deadline:
                p.kill()
                self.fail(f"run did not start the SLs:\n{self.output}")
        # Until the SWOPs have started their pairs: 2 SNs, their etcds, 2 SWOPs, SWCI, 2 SLs,
        # 2 bubblewrap sandboxes and the ML programs in them.
        deadline = time.monotonic() + 60
        while len(processes_in(self.ws)) < 11 and time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertGreaterEqual(len(processes_in(self.ws)), 11)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        self.output += out
        self.assertEqual(p.returncode, 130, self.output)
        self.assertIn("run: interrupted; stopping everything it started", out)
        self.assertEqual(processes_in(self.ws), [], "processes outlived run")

    def test_bad_settings_are_refused_clearly(self):
        for settings, message in ((dict(MAX_EPOCHS="0"), "MAX_EPOCHS must be a positive integer; got '0'"),
                                  (dict(HOSTS="vm"), "HOSTS must be 'loopback' or 'netns'; got 'vm'"),
                                  (dict(SWARM="/nonexistent/swarm"), "/nonexistent/swarm is not there"),
                                  (dict(DATA_DIR=self.root), f"no Fashion-MNIST in {self.root}"),
                                  (dict(SN_1_API_PORT="http"), "SN_1_API_PORT must be a port number")):
            p = subprocess.run([RUN], env=dict(self.env(), **settings), capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, settings)
            self.assertIn(message, p.stderr)
        os.makedirs(self.ws)
        open(os.path.join(self.ws, "keep.txt"), "w").close()
        p = subprocess.run([RUN], env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("exists and is not empty; name a new one with WORKSPACE", p.stderr)
        self.assertEqual(os.listdir(self.ws), ["keep.txt"])
        # The ML program names the setting it refuses.
        p = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "model", "fmnist.py")], capture_output=True,
                           text=True, timeout=60, env=dict(self.env(), NODE_INDEX="3", NODE_COUNT="2",
                                                           SWARM_LOOPBACK="TRUE"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("fmnist: NODE_INDEX must be between 1 and NODE_COUNT (2); got 3", p.stderr)


def main():
    global SWARM, PYTHONPATH
    swarm, argv = swarm_args.split(sys.argv)
    SWARM = os.path.abspath(swarm)
    if "--pythonpath" not in argv or argv.index("--pythonpath") + 1 >= len(argv):
        sys.exit("usage: example_test.py --swarm PATH_TO_SWARM --pythonpath DIR [unittest args]")
    i = argv.index("--pythonpath")
    PYTHONPATH = os.path.abspath(argv[i + 1])
    del argv[i:i + 2]
    sys.path.insert(0, PYTHONPATH)  # fmnist.py, loaded by the checks, imports swarmlearning
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
