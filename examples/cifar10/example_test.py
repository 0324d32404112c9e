"""examples/cifar10/run on the generated CIFAR-10-format sample: both nodes end with the
same good model; a truncated data file is refused naming it and the format.

Run: /usr/bin/python3 example_test.py --swarm PATH_TO_SWARM
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import example_test_base as base  # noqa: E402


class Cifar10Test(base.ExampleTest):
    def test_two_hand_started_nodes_end_with_the_same_good_model(self):
        done = self.run_example(os.path.join(HERE, "run"))
        results = self.check_swarm_finished(done, 2)
        self.assertGreater(results[0]["test_accuracy"], 0.9)
        self.assertIn("terminal 3: SL 2 with its ML program", done.stdout)

    def test_a_truncated_batch_file_is_refused(self):
        data = os.path.join(self.root, "data")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_sample_data.py"), "-o", data, "--test", "10",
                        "--train-per-batch", "10"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(data, "data_batch_1.bin"), "r+b") as f:
            f.truncate(3000)
        done = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "model", "cifar10.py")],
                              env=dict(os.environ, DATA_DIR=data, MODEL_DIR=self.root, SWARM_LOOPBACK="TRUE"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("data_batch_1.bin: 3000 bytes is not a whole number of records; expected CIFAR-10 binary "
                      "records of 3073 bytes", done.stdout)


if __name__ == "__main__":
    base.main()
