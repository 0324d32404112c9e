"""Nodes behind NAT train with nodes outside it, by the addresses they advertise. Three
network namespaces: `inside` (192.168.50.2, a private network), `router` (192.168.50.1 inside,
10.80.0.1 outside: it masquerades what leaves and forwards three ports in) and `outside`
(10.80.0.2). The sentinel SN and SL 2 run outside. SN 2 and SL 1 run inside, listening on
their private address and advertising the router's public one with the forwarded ports:
SN 2 joins the sentinel through the NAT, the ledger members replicate through it both ways,
SL 1 uses SN 2, SL 2 fetches SL 1's models at 10.80.0.1:40305, and both SLs end with the
same final model.

Run (as root): /usr/bin/python3 nat_test.py --swarm PATH --toy-ml PATH
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import swarm_args  # noqa: E402
from support.swarm_net import SwarmNet, check_same_final_model  # noqa: E402

SWARM = TOY_ML = None
TIMEOUT = 180
INSIDE, ROUTER_IN, ROUTER_OUT, OUTSIDE = "192.168.50.2", "192.168.50.1", "10.80.0.1", "10.80.0.2"
# The router's public port -> the inside host's listening port: SN 2's API and ledger peer
# port, and SL 1's file server.
FORWARDS = {40304: 30304, 40303: 30303, 40305: 30305}


class Nat:
    def __init__(self):
        tag = os.getpid()
        self.inside, self.router, self.outside = (f"swarm-nat-{n}-{tag}" for n in ("in", "r", "out"))
        self.made = []
        try:
            for ns in (self.inside, self.router, self.outside):
                self.run("ip", "netns", "add", ns)
                self.made.append(ns)
                self.run("ip", "-n", ns, "link", "set", "lo", "up")
            self.run("ip", "link", "add", "eth0", "netns", self.inside, "type", "veth", "peer", "name", "lan",
                     "netns", self.router)
            self.run("ip", "link", "add", "eth0", "netns", self.outside, "type", "veth", "peer", "name", "wan",
                     "netns", self.router)
            for ns, dev, addr in ((self.inside, "eth0", INSIDE), (self.router, "lan", ROUTER_IN),
                                  (self.router, "wan", ROUTER_OUT), (self.outside, "eth0", OUTSIDE)):
                self.run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
                self.run("ip", "-n", ns, "link", "set", dev, "up")
            # The inside host's only way out is the router; the outside host knows no route in.
            self.run("ip", "-n", self.inside, "route", "add", "default", "via", ROUTER_IN)
            self.run("ip", "netns", "exec", self.router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            dnat = "".join(f'    iifname "wan" tcp dport {public} dnat to {INSIDE}:{private}\n'
                           for public, private in FORWARDS.items())
            ruleset = ("table ip swarm_nat {\n"
                       "  chain pre {\n    type nat hook prerouting priority -100; policy accept;\n" + dnat + "  }\n"
                       "  chain post {\n    type nat hook postrouting priority 100; policy accept;\n"
                       '    oifname "wan" masquerade\n  }\n}\n')
            subprocess.run(["ip", "netns", "exec", self.router, "nft", "-f", "-"], input=ruleset, text=True,
                           check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            self.close()
            raise

    @staticmethod
    def run(*args):
        subprocess.run(args, check=True, capture_output=True)

    def prefix(self, ns):
        return ("ip", "netns", "exec", ns)

    def close(self):
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class NatTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm-nat-")
        self.addCleanup(shutil.rmtree, self.root, True)
        try:
            self.nat = Nat()
        except (OSError, subprocess.CalledProcessError) as e:
            # Not a pass: the test says it could not run, and why.
            self.fail(f"cannot make the NAT namespaces (needs root, iproute2 and nftables, which scripts/setup "
                      f"installs): {getattr(e, 'stderr', '') or e}")
        self.addCleanup(self.nat.close)
        # Host 1 is inside (its certificates name the router's public address), host 2 outside.
        self.net = SwarmNet(SWARM, self.root, hosts=2, host_ips={1: [ROUTER_OUT, INSIDE], 2: [OUTSIDE]})
        self.addCleanup(self.net.stop)

    def test_nodes_behind_nat_train_with_nodes_outside_by_their_advertised_addresses(self):
        out_ns, in_ns = self.nat.prefix(self.nat.outside), self.nat.prefix(self.nat.inside)
        self.net.sn_api = 30304
        self.net.start_sn(2, "sn1", 30304, p2p=30303, host_ip=OUTSIDE, prefix=out_ns)
        sn2 = self.net.start_sn(1, "sn2", 30304, p2p=30303, sentinel_api=30304, sentinel_ip=OUTSIDE,
                                host_ip=ROUTER_OUT, prefix=in_ns,
                                extra=("--listen-ip", INSIDE, "--sn-api-advertised-port", "40304",
                                       "--sn-p2p-advertised-port", "40303"))
        self.assertIn(f"peers reach it at {ROUTER_OUT}:40304, it listens on {INSIDE}:30304", sn2.log())
        env = {"TOY_MIN_PEERS": "2", "TOY_EPOCHS": "3"}
        out = [os.path.join(self.root, f"model-{i}.txt") for i in (1, 2)]
        sl1 = self.net.start_sl(1, "sl1", [TOY_ML], dict(env, TOY_SEED="1", TOY_OUT=out[0]), prefix=in_ns,
                                host_ip=ROUTER_OUT, sn_ip=f"{INSIDE}:30304", fs_port=30305,
                                extra=("--listen-ip", INSIDE, "--sl-fs-advertised-port", "40305"))
        sl2 = self.net.start_sl(2, "sl2", [TOY_ML], dict(env, TOY_SEED="2", TOY_OUT=out[1]), prefix=out_ns,
                                host_ip=OUTSIDE, sn_ip=f"{OUTSIDE}:30304", fs_port=30305)
        check_same_final_model(self, (sl1, sl2), out, TIMEOUT)
        self.assertIn(f"file server on {ROUTER_OUT}:40305 (listening on {INSIDE}:30305)", sl1.log())
        self.assertIn(f"from {ROUTER_OUT}:40305", sl2.log(), "SL 2 fetched through the router's forwarded port")
        self.assertIn(f"from {OUTSIDE}:30305", sl1.log(), "SL 1 fetched from outside through the masquerade")


if __name__ == "__main__":
    given, argv = swarm_args.paths(sys.argv, ("--swarm", "--toy-ml"))
    SWARM, TOY_ML = given["--swarm"], given["--toy-ml"]
    unittest.main(argv=argv)
