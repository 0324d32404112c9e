"""Shared by the examples' tests: runs an example's `run` script as a user would, in a
temporary workspace, and checks what every example promises."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from local_swarm import FINAL_LINE

SWARM = None  # set by main()


class ExampleTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm_example_test_")
        self.ws = os.path.join(self.root, "ws")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_example(self, script, timeout=600, **env):
        done = subprocess.run([script], env=dict(os.environ, SWARM=SWARM, WORKSPACE=self.ws,
                                                 **{k: str(v) for k, v in env.items()}),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        print(done.stdout[-3000:], file=sys.stderr)
        return done

    def check_swarm_finished(self, done, sl_count):
        """Exit 0, every SL's log ends with the final model, every node the same parameters;
        returns the nodes' result.json contents."""
        self.assertEqual(done.returncode, 0, done.stdout[-3000:])
        logs = sorted(glob.glob(os.path.join(self.ws, "logs", "sl*.log")))
        self.assertEqual(len(logs), sl_count, logs)
        for log in logs:
            with open(log, errors="replace") as f:
                self.assertIn(FINAL_LINE, f.read(), log)
        results = []
        for path in sorted(glob.glob(os.path.join(self.ws, "sl*", "model", "result.json"))):
            with open(path) as f:
                results.append(json.load(f))
        self.assertEqual(len(results), sl_count)
        self.assertEqual(len({r["params_sha256"] for r in results}), 1, "the nodes ended with different models")
        return results


def main():
    global SWARM
    args = sys.argv[1:]
    if "--swarm" not in args:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} --swarm PATH_TO_SWARM [unittest args]")
    i = args.index("--swarm")
    SWARM = os.path.abspath(args[i + 1])
    del args[i:i + 2]
    if "--pythonpath" in args:  # the run scripts find build/python themselves
        i = args.index("--pythonpath")
        del args[i:i + 2]
    unittest.main(module="__main__", argv=[sys.argv[0]] + args)
