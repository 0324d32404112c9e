"""examples/cifar10 as its README shows it: `run` types the README's commands (checked word
for word against the README) on the generated sample with two epochs; both SLs exit 0,
both programs log the final line, both save the same final model, and that model
classifies the sample's test records well (measured again here from the saved file). The
reader's errors name the file and the format; a failing program fails `run`, which stops
everything; so does Ctrl-C.

Run: /usr/bin/python3 examples/cifar10/example_test.py --swarm build/src/cli/swarm --pythonpath build/python
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
PYTHON = "/usr/bin/python3"
FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."
FORMAT = ("expected CIFAR-10 binary records of 3073 bytes: a label byte 0-9, then a 32x32 image as 1024 red, "
          "1024 green and 1024 blue bytes")
ACCURACY_FLOOR = 0.7  # two epochs reach 0.835 on the sample; chance is 0.1
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
    """model/cifar10.py as a module: its reader and its network."""
    spec = importlib.util.spec_from_file_location("cifar10", os.path.join(HERE, "model", "cifar10.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalized(command):
    return " ".join(command.replace("\\\n", " ").split())


def readme_commands():
    """Every command in README.md's sh blocks, continuation lines joined."""
    with open(os.path.join(HERE, "README.md")) as f:
        blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    return {normalized(line) for line in text.splitlines() if line.strip() and not line.startswith("#")}


def printed_commands(output):
    """The commands `run` printed ('  $ ' lines and their continuation lines)."""
    commands, current = [], None
    for line in output.splitlines():
        if current is not None and current.endswith("\\"):
            current += "\n" + line
            continue
        if current is not None:
            commands.append(current)
            current = None
        if line.startswith("  $ "):
            current = line[4:]
    if current is not None:
        commands.append(current)
    return [normalized(c) for c in commands]


def make_sample(out, *args):
    subprocess.run([PYTHON, os.path.join(HERE, "make_sample_data.py"), "-o", out, *args], check=True,
                   stdout=subprocess.DEVNULL)


class Cifar10ExampleTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_cifar10_example_")
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

    def run_example(self, **settings):
        started = time.monotonic()
        done = subprocess.run([RUN], env=self.env(**settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=400)
        print(f"run took {time.monotonic() - started:.0f} s; its output ends:\n{done.stdout[-1200:]}", file=sys.stderr)
        return done

    def test_the_readme_commands_train_two_nodes_to_the_same_good_model(self):
        import torch
        done = self.run_example(MAX_EPOCHS="2")
        self.assertEqual(done.returncode, 0, done.stdout[-3000:])
        self.assertEqual(processes_in(self.root), [], "run left processes behind")

        # What run typed is what the README says to type.
        typed = [c for c in printed_commands(done.stdout) if not re.match(r"^[A-Z_0-9]+=\S*( |$)", c)]
        self.assertEqual(len(typed), 6, typed)  # sample data, 2 x gen-cert, SN, 2 x SL
        readme = readme_commands()
        for command in typed:
            self.assertIn(command, readme, "run typed a command that README.md does not show")
        variables = re.search(r"^  \$ (SWARM=.*)$", done.stdout, re.M).group(1)
        readme_variables = next(c for c in readme if c.startswith("SWARM="))
        self.assertEqual(re.findall(r"(\w+)=", variables), re.findall(r"(\w+)=", readme_variables))

        program = load_program()
        _, _, x_test, y_test, _ = program.load(os.path.join(self.ws, "cifar10", "data"))
        states = []
        for i in (1, 2):
            with open(os.path.join(self.ws, "cifar10", "logs", f"sl{i}.log")) as f:
                self.assertIn(FINAL_LINE, f.read(), f"SL {i}")
            model_dir = os.path.join(self.ws, "cifar10", f"ml{i}", "model")
            self.assertTrue(os.path.isfile(os.path.join(model_dir, "cifar10_sw.log")), f"node {i}'s user log")
            with open(os.path.join(model_dir, "result.json")) as f:
                result = json.load(f)
            self.assertEqual(result["train_files"], ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin"])
            self.assertEqual(result["train_records"], 1500)
            self.assertGreaterEqual(result["rounds"], 4, f"node {i}")
            states.append(torch.load(os.path.join(model_dir, "saved_models", "cifar10.pt")))
            model = program.Net()
            model.load_state_dict(states[-1])
            measured = program.accuracy(model, x_test, y_test)
            self.assertAlmostEqual(measured, result["test_accuracy"], places=6)
            self.assertGreater(measured, ACCURACY_FLOOR, f"node {i}")
            self.assertIn(f"node {i}: test accuracy {measured:.4f}", done.stdout)
        self.assertEqual(list(states[0]), list(states[1]))
        for name in states[0]:
            self.assertTrue(torch.equal(states[0][name], states[1][name]), f"{name} differs between the nodes")
        self.assertIn("all 2 nodes saved the same final Swarm model", done.stdout)

    def test_the_reader_names_the_file_and_the_format(self):
        program = load_program()
        data = os.path.join(self.root, "data")
        make_sample(data, "--batches", "4", "--per-batch", "20", "--test", "10")
        os.remove(os.path.join(data, "data_batch_2.bin"))
        x, y, x_test, y_test, files = program.load(data)  # whichever data_batch files exist
        self.assertEqual(files, ["data_batch_1.bin", "data_batch_3.bin", "data_batch_4.bin"])
        self.assertEqual((tuple(x.shape), tuple(y.shape), tuple(x_test.shape)), ((60, 3, 32, 32), (60,), (10, 3, 32, 32)))
        self.assertTrue(0 <= float(x.min()) and float(x.max()) <= 1 and int(y.max()) <= 9)

        batch = os.path.join(data, "data_batch_3.bin")
        with open(batch, "r+b") as f:
            f.truncate(3000)
        with self.assertRaisesRegex(program.DataError, re.escape(f"{batch}: 3000 bytes is not a whole number of "
                                                                 f"records (0 records and 3000 bytes more); {FORMAT}")):
            program.load(data)
        open(batch, "wb").close()
        with self.assertRaisesRegex(program.DataError, re.escape(f"{batch}: empty; {FORMAT}")):
            program.load(data)
        os.remove(batch)
        with open(os.path.join(data, "data_batch_1.bin"), "r+b") as f:
            f.seek(3 * 3073)
            f.write(bytes([17]))
        with self.assertRaisesRegex(program.DataError, re.escape("data_batch_1.bin: record 3 (at byte 9219) has "
                                                                 f"label 17; {FORMAT}")):
            program.load(data)
        os.remove(os.path.join(data, "test_batch.bin"))
        os.remove(os.path.join(data, "data_batch_1.bin"))
        with self.assertRaisesRegex(program.DataError, re.escape(os.path.join(data, "test_batch.bin") + ": missing")):
            program.load(data)
        os.remove(os.path.join(data, "data_batch_4.bin"))
        with self.assertRaisesRegex(program.DataError, "no data_batch_1.bin ... data_batch_5.bin; expected the "
                                                       "CIFAR-10 binary version"):
            program.load(data)

    def test_the_program_exits_on_a_truncated_file(self):
        data = os.path.join(self.root, "data")
        make_sample(data, "--batches", "1", "--per-batch", "10", "--test", "10")
        with open(os.path.join(data, "data_batch_1.bin"), "r+b") as f:
            f.truncate(3073 * 5 + 100)
        done = subprocess.run([PYTHON, os.path.join(HERE, "model", "cifar10.py")],
                              env=dict(os.environ, PYTHONPATH=PYTHONPATH, DATA_DIR=data, MODEL_DIR=self.root,
                                       SWARM_LOOPBACK="TRUE"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn(f"cifar10: {data}/data_batch_1.bin: 15465 bytes is not a whole number of records "
                      f"(5 records and 100 bytes more); {FORMAT}", done.stdout)

    def test_a_failing_program_fails_run_which_stops_everything(self):
        data = os.path.join(self.root, "data")
        make_sample(data, "--batches", "1", "--per-batch", "100", "--test", "10")
        with open(os.path.join(data, "test_batch.bin"), "r+b") as f:
            f.truncate(1000)
        done = self.run_example(DATA_DIR=data, MAX_EPOCHS="1")
        self.assertEqual(done.returncode, 1, done.stdout[-3000:])
        self.assertRegex(done.stdout, r"run: SL \d failed \(exit status 1\)")
        self.assertIn("test_batch.bin: 1000 bytes is not a whole number of records", done.stdout)
        self.assertIn("nothing it started is left running", done.stdout)
        self.assertEqual(processes_in(self.root), [], "run left processes behind")

    def test_ctrl_c_stops_everything(self):
        p = subprocess.Popen([RUN], env=self.env(MAX_EPOCHS="500"), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        output = ""
        deadline = time.monotonic() + 120
        while "waiting for the SLs" not in output and time.monotonic() < deadline and p.poll() is None:
            output += p.stdout.readline()
        self.assertIn("waiting for the SLs", output)
        time.sleep(2)  # the programs are starting
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, output + rest)
        self.assertIn("nothing it started is left running", rest)
        self.assertEqual(processes_in(self.root), [], "run left processes behind")

    def test_bad_settings_are_refused_naming_them(self):
        for settings, message in (({"NODES": "4"}, "NODES must be 2 or 3; got '4'"),
                                  ({"SL_2_FS_PORT": "x"}, "SL_2_FS_PORT must be a port number"),
                                  ({"DATA_DIR": os.path.join(self.root, "none")}, "is not a directory")):
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
