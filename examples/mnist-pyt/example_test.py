"""examples/mnist-pyt/run as its README shows, with one epoch: four SLs on one SN end with
the same model, which classifies the test images well.

Run: /usr/bin/python3 example_test.py --swarm PATH_TO_SWARM
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import example_test_base as base  # noqa: E402


class MnistPytTest(base.ExampleTest):
    def test_four_nodes_on_one_sn_end_with_the_same_good_model(self):
        done = self.run_example(os.path.join(HERE, "run"), MAX_EPOCHS=1)
        results = self.check_swarm_finished(done, 4)
        self.assertGreater(results[0]["test_accuracy"], 0.7)  # about 0.80 after one epoch
        self.assertGreater(results[0]["rounds"], 3)

    def test_a_bad_setting_is_refused_naming_it(self):
        done = self.run_example(os.path.join(HERE, "run"), NODES="0")
        self.assertEqual(done.returncode, 1)
        self.assertIn("NODES must be a positive integer; got '0'", done.stdout)


if __name__ == "__main__":
    base.main()
