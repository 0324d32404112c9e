"""Advertised ports that differ from the ports nodes listen on, as behind a port mapping (NAT,
a Kubernetes NodePort): in a network namespace of its own, nftables redirects each advertised
port to the listening one, so a peer reaches a node only if it dials what the node
advertised. A joining SN advertises its API and ledger-peer ports, an SL its file server's;
two SLs, each on another SN, train to the same final model.

Run (as root): /usr/bin/python3 addresses_test.py --swarm PATH --toy-ml PATH
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
from support.swarm_net import SwarmNet, check_same_final_model, free_port  # noqa: E402

SWARM = TOY_ML = None
TIMEOUT = 180


class PortMapping:
    """A network namespace whose local connections to each `advertised` port go to its
    `listening` one (nftables' redirect in the nat output hook)."""

    def __init__(self, mapping):
        self.ns = f"swarm-addr-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True, capture_output=True)
        try:
            subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True, capture_output=True)
            rules = "".join(f"    tcp dport {a} redirect to :{b}\n" for a, b in mapping.items())
            ruleset = ("table ip swarm_test {\n  chain output {\n"
                       "    type nat hook output priority -100; policy accept;\n" + rules + "  }\n}\n")
            subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"], input=ruleset, text=True, check=True,
                           capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            self.close()
            raise

    @property
    def prefix(self):
        return ("ip", "netns", "exec", self.ns)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


class AdvertisedPortsTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm-addresses-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.ports = {name: free_port() for name in ("api2", "adv_api2", "p2p2", "adv_p2p2", "fs1", "adv_fs1")}
        p = self.ports
        try:
            self.mapping = PortMapping({p["adv_api2"]: p["api2"], p["adv_p2p2"]: p["p2p2"], p["adv_fs1"]: p["fs1"]})
        except (OSError, subprocess.CalledProcessError) as e:
            # Not a pass: the test says it could not run, and why.
            self.fail(f"cannot make a network namespace with nftables rules (needs root, iproute2 and nftables, "
                      f"which scripts/setup installs): {getattr(e, 'stderr', '') or e}")
        self.addCleanup(self.mapping.close)
        self.net = SwarmNet(SWARM, self.root, hosts=2)
        self.addCleanup(self.net.stop)

    def test_nodes_are_reached_at_the_ports_they_advertise(self):
        p, ns = self.ports, self.mapping.prefix
        self.net.start_sentinel(prefix=ns)
        sn2 = self.net.start_sn(2, "sn2", p["api2"], p2p=p["p2p2"], sentinel_api=self.net.sn_api, prefix=ns,
                                extra=("--sn-api-advertised-port", str(p["adv_api2"]),
                                       "--sn-p2p-advertised-port", str(p["adv_p2p2"])))
        self.assertIn(f"peers reach it at 127.0.0.1:{p['adv_api2']}", sn2.log())
        env = {"TOY_MIN_PEERS": "2", "TOY_EPOCHS": "3"}
        out = [os.path.join(self.root, f"model-{i}.txt") for i in (1, 2)]
        sl1 = self.net.start_sl(1, "sl1", [TOY_ML], dict(env, TOY_SEED="1", TOY_OUT=out[0]), prefix=ns,
                                fs_port=p["fs1"], extra=("--sl-fs-advertised-port", str(p["adv_fs1"])))
        # SL 2 uses SN 2 through the port SN 2 advertises.
        sl2 = self.net.start_sl(2, "sl2", [TOY_ML], dict(env, TOY_SEED="2", TOY_OUT=out[1]), prefix=ns,
                                sn_ip=f"127.0.0.1:{p['adv_api2']}")
        check_same_final_model(self, (sl1, sl2), out, TIMEOUT)
        self.assertIn(f"file server on 127.0.0.1:{p['adv_fs1']} (listening on 127.0.0.1:{p['fs1']})", sl1.log())
        self.assertIn(f"from 127.0.0.1:{p['adv_fs1']}", sl2.log(), "SL 2 fetched from the port SL 1 advertised")


if __name__ == "__main__":
    given, argv = swarm_args.paths(sys.argv, ("--swarm", "--toy-ml"))
    SWARM, TOY_ML = given["--swarm"], given["--toy-ml"]
    unittest.main(argv=argv)
