"""A host cut off from the swarm for longer than its liveness lease, then healed, with real
processes, real TLS and a real network link: SL 3 runs in its own network namespace, joined
to this one by a veth pair; the SN and SLs 1 and 2 listen on this side's address of the pair
(a private /30 that only the two ends reach). Taking the link down partitions host 3; the
rest must go on, and once the link is up again SL 3 must catch up with the latest merged
model, contribute again, and end with the same model as the others.

Needs root (ip netns); run: /usr/bin/python3 partition_test.py --swarm PATH --toy-ml PATH
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import SwarmNet, free_port  # noqa: E402

SWARM = None  # set from the command line before unittest.main
TOY_ML = None
STEP_TIMEOUT = 120
LEASE = 10  # the SN's liveness lease, in seconds


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Link:
    """A network namespace joined to this one by a veth pair, on 10.213.N.0/30."""

    def __init__(self):
        n = os.getpid() % 250
        self.ns, self.here, self.there = f"swarm-part-{os.getpid()}", f"swp{n}a", f"swp{n}b"
        self.local, self.remote = f"10.213.{n}.1", f"10.213.{n}.2"
        ip("netns", "add", self.ns)
        try:
            ip("link", "add", self.here, "type", "veth", "peer", "name", self.there)
            ip("link", "set", self.there, "netns", self.ns)
            ip("addr", "add", f"{self.local}/30", "dev", self.here)
            ip("link", "set", self.here, "up")
            ip("-n", self.ns, "addr", "add", f"{self.remote}/30", "dev", self.there)
            ip("-n", self.ns, "link", "set", self.there, "up")
            ip("-n", self.ns, "link", "set", "lo", "up")
        except subprocess.CalledProcessError:
            self.close()
            raise

    def set(self, up):
        ip("link", "set", self.here, "up" if up else "down")

    def close(self):
        subprocess.run(["ip", "link", "del", self.here], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


class PartitionTest(unittest.TestCase):
    def setUp(self):
        try:
            self.link = Link()
        except (OSError, subprocess.CalledProcessError) as e:
            # Not a pass: the test says it could not run, and why.
            self.fail(f"cannot make a network namespace (needs root and iproute2): {e}")
        self.addCleanup(self.link.close)
        self.root = tempfile.mkdtemp(prefix="swarm-partition-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.net = SwarmNet(SWARM, self.root, hosts=2, host_ips={1: [self.link.local], 2: [self.link.remote]})
        self.addCleanup(self.net.stop)
        self.net.start_sentinel(host_ip=self.link.local)

    def out(self, i):
        return os.path.join(self.root, f"model-{i}.txt")

    def start_sl(self, i, host, host_ip, prefix=(), extra=()):
        # 200 ms a batch, a sync every 5: a round a second or more, 40 of them.
        env = {"TOY_SEED": str(i), "TOY_MIN_PEERS": "2", "TOY_EPOCHS": "10", "TOY_BATCH_MS": "200",
               "TOY_OUT": self.out(i)}
        return self.net.start_sl(host, f"sl{i}", [TOY_ML], env, sn_ip=self.link.local, host_ip=host_ip,
                                 prefix=prefix, extra=extra)

    @staticmethod
    def merged(sl):
        """The rounds whose merged model `sl`'s program loaded, contributed or caught up."""
        return [int(n) for n in re.findall(r"merged model of round (\d+) loaded", sl.log())]

    def test_a_loopback_address_is_refused_while_the_network_is_elsewhere(self):
        # An SL that would advertise 127.0.0.1 to a network whose SN is at another address.
        sl = self.start_sl(1, 1, "127.0.0.1")
        self.assertNotEqual(sl.wait(STEP_TIMEOUT), 0, sl.log())
        self.assertIn("this SL would advertise 127.0.0.1 (its --host-ip) while node", sl.log())
        self.assertIn(f"of the network is at {self.link.local}", sl.log())
        # Told that this is intended, it registers, saying so.
        sl = self.start_sl(2, 1, "127.0.0.1", extra=("--allow-loopback",))
        self.assertTrue(sl.wait_for_log("is up: file server on 127.0.0.1", timeout=STEP_TIMEOUT), sl.log())
        self.assertIn("--allow-loopback: registering it all the same", sl.log())
        sl.kill()
        # A joining SN, the same.
        sn = self.net.start_sn(1, "sn2", free_port(), sentinel_api=self.net.sn_api, wait=False,
                               host_ip="127.0.0.1", sentinel_ip=self.link.local)
        self.assertNotEqual(sn.wait(STEP_TIMEOUT), 0, sn.log())
        self.assertIn(f"this SN would advertise 127.0.0.1 (its --host-ip) while node 'the sentinel' of the network "
                      f"is at {self.link.local}", sn.log())

    def test_a_host_partitioned_past_its_lease_catches_up_after_the_heal(self):
        sls = [self.start_sl(1, 1, self.link.local), self.start_sl(2, 1, self.link.local),
               self.start_sl(3, 2, self.link.remote, prefix=("ip", "netns", "exec", self.link.ns))]
        for sl in sls:
            self.assertTrue(sl.wait_until(lambda s=sl: max(self.merged(s), default=0) >= 2, STEP_TIMEOUT), sl.log())
        self.link.set(False)
        cut = time.monotonic()
        cut_at = max(self.merged(sls[0]))
        # The two others go on without host 3 once its lease has run out.
        for sl in sls[:2]:
            self.assertTrue(sl.wait_until(lambda s=sl: max(self.merged(s)) >= cut_at + 3, LEASE + 30),
                            sl.log()[-3000:])
        time.sleep(max(0.0, LEASE + 5 - (time.monotonic() - cut)))  # past the lease, for sure
        isolated_at = max(self.merged(sls[2]))
        healed_at = max(self.merged(sls[0]))
        self.assertLessEqual(isolated_at, cut_at + 1, "host 3 merged rounds while cut off")
        self.link.set(True)
        healed = time.monotonic()
        # SL 3 catches up with a round merged while it was away, then contributes again: its
        # later rounds are loaded as merged ("merged model of round N loaded", not "caught up").
        caught_up = lambda: any(n > healed_at for n in self.merged(sls[2]))  # noqa: E731
        self.assertTrue(sls[2].wait_until(caught_up, STEP_TIMEOUT), sls[2].log()[-3000:])
        took = time.monotonic() - healed
        contributed = lambda: any(  # noqa: E731
            int(n) > healed_at for n in re.findall(r"INFO : merged model of round (\d+) loaded", sls[2].log()))
        self.assertTrue(sls[2].wait_until(contributed, STEP_TIMEOUT), sls[2].log()[-3000:])
        for sl in sls:
            self.assertEqual(sl.wait(STEP_TIMEOUT * 2), 0, sl.log()[-3000:])
            self.assertIn("Final Swarm model was loaded.", sl.log())
        models = []
        for i in (1, 2, 3):
            with open(self.out(i)) as f:
                models.append(f.read())
        self.assertTrue(models[0])
        self.assertEqual(models[1], models[0])
        self.assertEqual(models[2], models[0])
        print(f"\nhost 3 cut off after round {cut_at} for {healed - cut:.0f} s (the others reached round "
              f"{healed_at}); {took:.1f} s after the heal it had loaded a later merged model", file=sys.stderr)


if __name__ == "__main__":
    given, argv = swarm_args.paths(sys.argv, ("--swarm", "--toy-ml"))
    SWARM, TOY_ML = given["--swarm"], given["--toy-ml"]
    unittest.main(argv=argv)
