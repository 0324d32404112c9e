"""HPE's two reverse-proxy examples as their READMEs run them, with one epoch, each in network
namespaces with real NGINX and BIND9 (skipped, with the reason, where namespaces cannot be
made): `mnist/run` (one host) and `cifar10/run` (two hosts, only 443 and 30303 open between
them) exit 0; SWCI reached its SN WITH SERVICE; LIST NODES shows service names; the SLs
fetched their peers' models by service name through NGINX; every node ends with the same
final model; every process and namespace it started is gone afterwards.

Run: /usr/bin/python3 examples/reverse-proxy/example_test.py --swarm build/src/cli/swarm
"""
import glob
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import example_test_base  # noqa: E402
import swarm_args  # noqa: E402

FINAL_LINE = "SwarmCallback : INFO : All peers and Swarm training rounds finished. Final Swarm model was loaded."


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


class ReverseProxyExampleTest(example_test_base.ExampleTest):
    def run_example(self, name):
        done = super().run_example(os.path.join(HERE, name, "run"), timeout=900, MAX_EPOCHS=1)
        if done.returncode == 77:
            self.skipTest(done.stdout.strip().splitlines()[-1])
        self.assertEqual(done.returncode, 0, done.stdout[-4000:])
        made = set(re.findall(r"ip netns add (\S+)", done.stdout))
        self.assertTrue(made)
        self.assertFalse(made & namespaces(), "namespaces outlived run")
        self.assertFalse([d for d in made if os.path.exists(f"/etc/netns/{d}")], "resolv.conf outlived run")
        return done.stdout

    def read(self, *parts):
        with open(os.path.join(self.ws, *parts), errors="replace") as f:
            return f.read()

    def check_sls(self, host_logs, peers):
        """Every SL ended with the final model, and fetched peers' models by service name."""
        for log in host_logs:
            text = self.read(log)
            self.assertIn(FINAL_LINE, text, log)
            fetched = set(re.findall(r"fetched \d+ bytes of blob \w+ from (fs\.sl-\d\.swarm:443)", text))
            self.assertTrue(fetched and fetched <= peers, (log, fetched))

    def test_mnist_one_host(self):
        out = self.run_example("mnist")
        swci = self.read("host1", "logs", "swci.log")
        self.assertIn("CONTEXT CREATED : test-mnist", swci)
        for want in ("SENTINEL  api.sn-1.swarm   443", "SL        fs.sl-1.swarm    443",
                     "SL        fs.sl-2.swarm    443", "SWOP      api.sn-1.swarm   443"):
            self.assertIn(want, swci)
        self.assertIn("both nodes hold the same final Swarm model", out)
        self.check_sls(["host1/swop/mnist/sl-0/sl.log", "host1/swop/mnist/sl-1/sl.log"],
                       {"fs.sl-1.swarm:443", "fs.sl-2.swarm:443"})
        # The SN API went through NGINX by its server name.
        self.assertRegex(self.read("host1", "nginx", "nginx-access.log"), r"api\.sn-1\.swarm -> 10\.79\.0\.1:30304 200")

    def test_cifar10_two_hosts_with_only_443_and_30303_open_between_them(self):
        out = self.run_example("cifar10")
        for port in ("443", "30303"):
            self.assertIn(f"host 1 port {port}: open", out)
        for port in ("30304", "30305", "30306", "53"):
            self.assertIn(f"host 1 port {port}: closed", out)
        swci = self.read("host1", "logs", "swci.log")
        self.assertIn("CONTEXT CREATED : example", swci)
        for want in ("SENTINEL  api.sn-1.swarm", "SN        api.sn-2.swarm", "SWOP      api.sn-2.swarm",
                     "SL        fs.sl-3.swarm"):
            self.assertIn(want, swci)
        self.assertIn("all four nodes hold the same final Swarm model", out)
        self.check_sls(["host1/swop/cifar10/sl-0/sl.log", "host2/swop/cifar10/sl-3/sl.log"],
                       {f"fs.sl-{i}.swarm:443" for i in range(1, 5)})
        # Host 1's SLs reached host 2's through host 2's NGINX, and the other way round.
        self.assertRegex(self.read("host2", "nginx", "nginx-access.log"), r"10\.78\.0\.1 .* fs\.sl-[34]\.swarm -> ")
        self.assertRegex(self.read("host1", "nginx", "nginx-access.log"), r"10\.78\.0\.2 .* fs\.sl-[12]\.swarm -> ")
        # SN 2 joined the sentinel by its API service, through host 1's NGINX.
        self.assertRegex(self.read("host1", "nginx", "nginx-access.log"), r"10\.78\.0\.2 .* api\.sn-1\.swarm -> ")
        wrong = self.read("host1", "logs", "wrong-names.log")
        self.assertIn("nope.swarm does not resolve", wrong)
        self.assertIn("it has no route for p2p.sn-1.swarm", wrong)
        self.assertIn("the server reached as api.sn-1.swarm:8443 is not api.sn-1.swarm: it presents the certificate "
                      "of 'sn-2' (role sn)", wrong)
        self.assertTrue(glob.glob(os.path.join(self.ws, "host2", "swop", "cifar10", "sl-*", "resolv.conf")))


def main():
    swarm, argv = swarm_args.split(sys.argv)
    example_test_base.SWARM = os.path.abspath(swarm)
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
