"""Guards against a second node where one already runs, with real processes: a port in
use is an error naming it (gRPC would otherwise share it, SO_REUSEPORT, and two ledgers would
answer behind one address), ports are 1..65535, and one process holds a data dir.

Run: /usr/bin/python3 guards_test.py --swarm PATH_TO_SWARM [unittest args]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import Process, SwarmNet, free_port  # noqa: E402

SWARM = None  # set from --swarm before unittest.main


class GuardsTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm-guards-")
        self.net = SwarmNet(SWARM, self.root, hosts=2)
        self.sn = self.net.start_sentinel()

    def tearDown(self):
        self.net.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def run_node(self, args, name):
        p = Process([SWARM] + args, os.path.join(self.root, name + ".log"))
        self.net.procs.append(p)
        return p

    def sn_args(self, api, data, host=2):
        return ["sn", "--sentinel", "--host-ip", "127.0.0.1", "--sn-api-port", str(api), "--sn-p2p-port",
                str(free_port()), "--data-dir", os.path.join(self.root, data)] + self.net.tls("sn", host)

    def sl_args(self, data, fs_port, host=1, sn_api=None):
        return ["sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port", str(sn_api or self.net.sn_api),
                "--sl-fs-port", str(fs_port), "--data-dir", os.path.join(self.root, data)] + self.net.tls("sl", host)

    def test_a_second_sn_on_a_port_in_use_stops_naming_the_port(self):
        second = self.run_node(self.sn_args(self.net.sn_api, "sn2"), "sn2")
        self.assertEqual(second.wait(60), 1, second.log())
        self.assertIn(f"port {self.net.sn_api} is in use by another process", second.log())

    def test_a_joining_sn_on_a_port_in_use_stops_before_its_etcd_member_is_added(self):
        joining = ["sn", "--sentinel-ip", "127.0.0.1", "--sentinel-api-port", str(self.net.sn_api), "--host-ip",
                   "127.0.0.1", "--sn-api-port", str(self.net.sn_api), "--sn-p2p-port", str(free_port()),
                   "--data-dir", os.path.join(self.root, "sn3")] + self.net.tls("sn", 2)
        second = self.run_node(joining, "sn3")
        self.assertEqual(second.wait(60), 1, second.log())
        self.assertIn(f"port {self.net.sn_api} is in use by another process", second.log())
        # It never asked the sentinel to add its member (a member that never comes up would
        # count against the cluster's quorum).
        self.assertFalse(os.path.exists(os.path.join(self.root, "sn3", "etcd")))

    def test_a_second_sl_on_a_file_server_port_in_use_stops_naming_the_port(self):
        port = free_port()
        first = self.run_node(self.sl_args("sl1", port), "sl1")
        self.assertTrue(first.wait_for_log("is up"), first.log())
        second = self.run_node(self.sl_args("sl2", port, host=2), "sl2")
        self.assertEqual(second.wait(60), 1, second.log())
        self.assertIn(f"cannot serve the file server on 127.0.0.1:{port}: port {port} is in use", second.log())

    def test_two_sls_on_one_data_dir_the_second_is_refused_naming_the_first(self):
        first = self.run_node(self.sl_args("same", free_port()), "first")
        self.assertTrue(first.wait_for_log("is up"), first.log())
        second = self.run_node(self.sl_args("same", free_port()), "second")
        self.assertEqual(second.wait(60), 1, second.log())
        self.assertIn(f"is in use by another process (pid {first.popen.pid}", second.log())
        self.assertIn("one SL per data dir", second.log())

    def test_ports_above_65535_are_refused_not_wrapped(self):
        for args in (self.sl_args("w1", 70000), self.sn_args(70000, "w2"), self.sl_args("w3", 0, sn_api=70000)):
            r = subprocess.run([SWARM] + args, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("'70000' is not a port: expected a number from", r.stderr)


if __name__ == "__main__":
    SWARM, argv = swarm_args.split(sys.argv)
    unittest.main(argv=argv)
