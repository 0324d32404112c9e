"""examples/fraud-detection/run as its README shows: four biased nodes end with the same
model, whose ROC AUC and recall beat every node's local-only model; a malformed CSV is
refused naming the file, the line and the expected form.

Run: /usr/bin/python3 example_test.py --swarm PATH_TO_SWARM
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import example_test_base as base  # noqa: E402


class FraudDetectionTest(base.ExampleTest):
    def test_the_swarm_model_beats_every_local_model(self):
        done = self.run_example(os.path.join(HERE, "run"))
        results = self.check_swarm_finished(done, 4)
        with open(os.path.join(self.ws, "summary.json")) as f:
            summary = json.load(f)
        swarm = summary["swarm"]
        self.assertEqual(swarm["params_sha256"], results[0]["params_sha256"])
        for i, local in enumerate(summary["local"], 1):
            self.assertGreater(swarm["auc"], local["auc"], f"node {i}'s local model has the better AUC")
            self.assertGreaterEqual(swarm["recall"], local["recall"], f"node {i}'s local model finds more frauds")
        self.assertIn("precision  recall     AUC", done.stdout)

    def test_a_malformed_csv_is_refused_naming_file_and_line(self):
        os.makedirs(self.root, exist_ok=True)
        bad = os.path.join(self.root, "creditcard.csv")
        header = ",".join(f'"{c}"' for c in ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount", "Class"])
        with open(bad, "w") as f:
            f.write(header + "\n" + ",".join(["0"] * 31) + "\n" + ",".join(["1"] * 30) + "\n")
        done = self.run_example(os.path.join(HERE, "run"), DATA_DIR=bad)
        self.assertEqual(done.returncode, 1)
        self.assertIn(f"{bad}, line 3: 30 values; expected 31 comma-separated values per line", done.stdout)


if __name__ == "__main__":
    base.main()
