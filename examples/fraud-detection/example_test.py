"""examples/fraud-detection/run as its README shows it, with fewer epochs: four class- and
volume-biased nodes end with the same model, whose ROC AUC beats every node's local-only
model at that node; the CSV reader refuses malformed files naming the file, the line and
the expected form; the AUC computed by ranks agrees with counting pairs. run-swop, HPE's
SWOP + SWCI flow, with the same epochs: SWCI's transcript shows the RUN_SWARM task COMPLETED
by 4 peers, the four nodes saved the same model in their private data, and it beats every
local-only model's AUC.

Run: /usr/bin/python3 example_test.py --swarm PATH_TO_SWARM [--pythonpath DIR]
"""
import glob
import itertools
import json
import os
import subprocess
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, os.path.join(HERE, "model"))
sys.dont_write_bytecode = True  # no __pycache__ beside fraud_data.py
import example_test_base as base  # noqa: E402
import fraud_data  # noqa: E402

RUN = os.path.join(HERE, "run")
RUN_SWOP = os.path.join(HERE, "run-swop")
HEADER = ",".join(f'"{c}"' for c in fraud_data.COLUMNS)
ROW = ",".join(["0"] * 30) + ',"0"'


def processes_naming(path):
    """Pids of live processes with a path inside `path` on their command line."""
    found = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(os.path.join(d, "cmdline"), "rb") as f:
                # Inside `path`: the bare directory is also on other tests' pairs' command lines
                # (a SWOP's sandbox lists every entry of /tmp for bubblewrap).
                if (path + "/").encode() in f.read():
                    found.append(int(os.path.basename(d)))
        except OSError:
            pass
    return found


class FraudDetectionTest(base.ExampleTest):
    def test_the_swarm_model_beats_every_local_model(self):
        done = self.run_example(RUN, MAX_EPOCHS=10)
        results = self.check_swarm_finished(done, 4)  # exit 0, the final-model line, equal parameters
        with open(os.path.join(self.ws, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual([r["params_sha256"] for r in summary["swarm"]], [r["params_sha256"] for r in results])
        figures = [(s["auc"], l["auc"]) for s, l in zip(summary["swarm"], summary["local"])]
        print(json.dumps({"swarm_auc": [round(s, 4) for s, _ in figures],
                          "local_auc": [round(l, 4) for _, l in figures]}), file=sys.stderr)
        for i, (swarm_auc, local_auc) in enumerate(figures, 1):
            self.assertGreater(swarm_auc, local_auc, f"node {i}'s local-only model has the better AUC: {figures}")
        self.assertIn("The Swarm model has the higher ROC AUC at 4 of 4 nodes.", done.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.ws, "sl1", "model", "fraud.pt")))
        self.assertTrue(os.path.isfile(os.path.join(self.ws, "sl1", "model", "fraud_sw.log")))

    def test_run_swop_the_swci_task_completes_and_the_swarm_model_beats_every_local_model(self):
        done = self.run_example(RUN_SWOP, MAX_EPOCHS=10, TIMEOUT=300)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:])
        self.assertEqual(processes_naming(self.root), [], "run-swop left processes behind")
        with open(os.path.join(self.ws, "fraud-detection", "logs", "swci.log")) as f:
            transcript = f.read()
        self.assertIn("ASSIGN TASK swarm_fraud_task TO defaulttaskbb.taskdb.sml.hpe WITH 4 PEERS", transcript)
        self.assertRegex(transcript, r"TASK STATE +: COMPLETED")
        self.assertRegex(transcript, r"COMPLETED PEERS +: 4")
        self.assertIn("CONTRACT RESET : defaultbb.cqdb.sml.hpe", transcript)
        results = []
        for i in range(1, 5):  # each node's private data, its share from the profile's NODE_INDEX
            with open(os.path.join(self.ws, f"user{i}", "app-data", "model", "result.json")) as f:
                results.append(json.load(f))
            self.assertEqual((results[-1]["node"], results[-1]["swarm"]), (i, True))
            self.assertTrue(os.path.isfile(os.path.join(self.ws, f"user{i}", "app-data", "model", "fraud.pt")))
        self.assertEqual(len({r["params_sha256"] for r in results}), 1, "the nodes ended with different models")
        with open(os.path.join(self.ws, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual([r["params_sha256"] for r in summary["swarm"]], [r["params_sha256"] for r in results])
        figures = [(s["auc"], l["auc"]) for s, l in zip(summary["swarm"], summary["local"])]
        print(json.dumps({"swop_swarm_auc": [round(s, 4) for s, _ in figures],
                          "local_auc": [round(l, 4) for _, l in figures]}), file=sys.stderr)
        for i, (swarm_auc, local_auc) in enumerate(figures, 1):
            self.assertGreater(swarm_auc, local_auc, f"node {i}'s local-only model has the better AUC: {figures}")
        self.assertIn("The Swarm model has the higher ROC AUC at 4 of 4 nodes.", done.stdout)
        self.assertIn("All 4 nodes saved the same final Swarm model", done.stdout)

    def test_run_refuses_a_malformed_csv_before_starting_anything(self):
        os.makedirs(self.root, exist_ok=True)
        bad = os.path.join(self.root, "creditcard.csv")
        with open(bad, "w") as f:
            f.write(HEADER + "\n" + ROW + "\n" + ",".join(["1"] * 30) + "\n")
        done = self.run_example(RUN, DATA_DIR=bad)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn(f"{bad}, line 3: 30 values; expected 31 comma-separated values per line under the header "
                      f'"Time","V1",...,"V28","Amount","Class"', done.stdout)
        self.assertNotIn("step 1", done.stdout)

    def test_the_program_names_file_line_and_form_of_a_malformed_csv(self):
        os.makedirs(self.root, exist_ok=True)
        bad = os.path.join(self.root, "bad.csv")
        with open(bad, "w") as f:
            f.write(HEADER + "\n" + ROW + "\n" + ROW.replace("0,0", "0,abc", 1) + "\n")
        env = dict(os.environ, SWARM_LOOPBACK="TRUE", DATA_DIR=bad, MODEL_DIR=os.path.join(self.root, "m"),
                   PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "model", "fraud.py")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(done.returncode, 2, done.stdout)
        self.assertIn(f"fraud.py: error: {bad}, line 3: V1 is 'abc', not a finite number; expected 31 "
                      "comma-separated values", done.stdout)


class CsvReaderTest(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "creditcard.csv")

    def tearDown(self):
        self.dir.cleanup()

    def error(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        with self.assertRaises(fraud_data.CsvError) as caught:
            fraud_data.read_csv(self.path)
        return str(caught.exception)

    def test_each_kind_of_malformed_file_is_named(self):
        self.assertIn(f"{self.path}: the file is empty", self.error(""))
        self.assertIn(f"{self.path}, line 1: the header is", self.error('"Time","V1"\n' + ROW + "\n"))
        self.assertIn(f"{self.path}: a header and no rows", self.error(HEADER + "\n"))
        self.assertIn(f"{self.path}, line 2: Class is '2'; expected 0 (normal) or 1 (fraud)",
                      self.error(HEADER + "\n" + ROW[:-3] + '"2"\n'))
        self.assertIn(f"{self.path}, line 3: Amount is 'nan', not a finite number",
                      self.error(HEADER + "\n" + ROW + "\n" + ",".join(["0"] * 29) + ",nan,0\n"))

    def test_kaggles_quoting_is_read(self):
        with open(self.path, "w") as f:
            f.write(HEADER + "\n" + ROW + "\n" + ",".join(["1.5"] * 30) + ',"1"\n')
        x, y = fraud_data.read_csv(self.path)
        self.assertEqual(x.shape, (2, 30))
        self.assertEqual(list(y), [0, 1])
        self.assertEqual(fraud_data.csv_path(self.dir.name), self.path)


class MetricsTest(unittest.TestCase):
    def test_auc_by_ranks_equals_counting_pairs_with_ties(self):
        rng = np.random.default_rng(3)
        labels = rng.integers(0, 2, 200)
        scores = np.round(rng.random(200) + 0.3 * labels, 1)  # many ties
        pairs = [(1.0 if p > n else 0.5 if p == n else 0.0)
                 for p, n in itertools.product(scores[labels == 1], scores[labels == 0])]
        self.assertAlmostEqual(fraud_data.roc_auc(labels, scores), sum(pairs) / len(pairs), places=12)
        self.assertEqual(fraud_data.precision_recall([1, 1, 0, 0], [1, 0, 1, 0]), (0.5, 0.5))

    def test_the_split_is_the_same_on_every_node_and_biased(self):
        y = np.array([0] * 9000 + [1] * 100)
        parts = [fraud_data.split(y, i, 4) for i in range(1, 5)]
        self.assertEqual(len({tuple(test) for _, test in parts}), 1, "the test sets differ")
        train = np.concatenate([t for t, _ in parts])
        self.assertEqual(len(set(train)), len(train), "nodes share rows")
        self.assertFalse(set(train) & set(parts[0][1]), "a test row is trained on")
        rows, frauds = [len(t) for t, _ in parts], [int(y[t].sum()) for t, _ in parts]
        self.assertEqual(rows, sorted(rows, reverse=True))
        self.assertEqual(frauds, sorted(frauds))


if __name__ == "__main__":
    base.main()
