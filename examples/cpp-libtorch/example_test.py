"""examples/cpp-libtorch/run with a built program (two epochs): three C++ nodes on
non-IID shards end with the same model, which recognises classes no node saw alone.

Run: /usr/bin/python3 example_test.py --swarm PATH_TO_SWARM --program PATH_TO_fashion_mnist_torch
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import example_test_base as base  # noqa: E402

PROGRAM = None


class CppLibtorchTest(base.ExampleTest):
    def test_three_cpp_nodes_end_with_the_same_model(self):
        done = self.run_example(os.path.join(HERE, "run"), PROGRAM=PROGRAM)
        results = self.check_swarm_finished(done, 3)
        # Each node saw four classes; alone it scores about 0.37 on all ten.
        self.assertGreater(results[0]["test_accuracy"], 0.6)  # 0.74 with two epochs


if __name__ == "__main__":
    if "--program" not in sys.argv:
        sys.exit("usage: example_test.py --swarm PATH --program PATH_TO_fashion_mnist_torch")
    i = sys.argv.index("--program")
    PROGRAM = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]
    base.main()
