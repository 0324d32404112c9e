"""`swarm doctor` on a good setup (every check passes, exit 0) and on each broken one (the
check fails with its fix, exit 1): expired certificate, a CA not in the capath, a key of
another certificate, an address missing from the SANs, an SN that does not answer, a port
in use, a data dir held by a running node.

Run: /usr/bin/python3 doctor_test.py --swarm PATH_TO_SWARM [unittest args]
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import Process, SwarmNet, free_port  # noqa: E402

SWARM = None  # set from --swarm before unittest.main


class DoctorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="swarm-doctor-")
        cls.net = SwarmNet(SWARM, cls.root, hosts=2)
        cls.net.start_sentinel()
        # Certificates that expired yesterday, and a host whose CA nobody trusts.
        subprocess.run([SWARM, "gen-cert", "-e", "old", "-i", "1", "--days", "-1", "-o", os.path.join(cls.root, "ws")],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([SWARM, "gen-cert", "-e", "far", "-i", "7", "-o", os.path.join(cls.root, "ws")],
                       check=True, stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.net.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def cert(self, example, name):
        return os.path.join(self.root, "ws", example, "cert", name)

    def doctor(self, *extra, key=None, cert=None, capath=None, code):
        args = [SWARM, "doctor", "--key", key or self.net.cert("sl-1-key.pem"), "--cert",
                cert or self.net.cert("sl-1-cert.pem"), "--capath", capath or self.net.cert("ca/capath"), *extra]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        return r.stdout

    def test_a_good_setup_passes_every_check(self):
        out = self.doctor("--role", "sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port",
                          str(self.net.sn_api), "--listen-port", str(free_port()), "--data-dir",
                          os.path.join(self.root, "new-sl"), code=0)
        for check in ("certificate", "role", "chain", "key", "sans", f"sn 127.0.0.1:{self.net.sn_api}", "clock",
                      "port", "disk"):
            self.assertRegex(out, rf"PASS  {check}", out)
        self.assertNotIn("FAIL", out)
        self.assertIn("all checks passed", out)

    def test_each_broken_setup_fails_its_check_with_the_fix(self):
        out = self.doctor(key=self.cert("old", "sl-1-key.pem"), cert=self.cert("old", "sl-1-cert.pem"),
                          capath=self.cert("old", "ca/capath"), code=1)
        self.assertRegex(out, r"FAIL  certificate .*expired on")
        self.assertIn("fix: issue a new one", out)

        out = self.doctor(cert=self.cert("far", "sl-7-cert.pem"), key=self.cert("far", "sl-7-key.pem"), code=1)
        self.assertRegex(out, r"FAIL  chain .*unknown CA")
        self.assertIn("fix: put the CA that issued this certificate into --capath", out)

        out = self.doctor(key=self.net.cert("sl-2-key.pem"), code=1)
        self.assertRegex(out, r"FAIL  key .*does not belong to")

        out = self.doctor("--role", "sn", code=1)
        self.assertIn("FAIL  role             the certificate has role sl, this node needs sn", out)

        out = self.doctor("--host-ip", "10.9.8.7", code=1)
        self.assertRegex(out, r"FAIL  sans .*10\.9\.8\.7 is not among the certificate's names")
        self.assertIn("swarm gen-cert --host-ip 10.9.8.7", out)

        dead = free_port()
        out = self.doctor("--sn-ip", f"127.0.0.1:{dead}", code=1)
        self.assertIn(f"FAIL  sn 127.0.0.1:{dead}", out)
        self.assertIn("fix: start the SN there", out)

        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            held.listen()
            port = held.getsockname()[1]
            out = self.doctor("--host-ip", "127.0.0.1", "--listen-port", str(port), code=1)
        self.assertIn(f"FAIL  port {port}", out)
        self.assertIn("is in use by another process", out)

        data = os.path.join(self.root, "busy-sl")
        sl = Process([SWARM, "sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port",
                      str(self.net.sn_api), "--sl-fs-port", str(free_port()), "--data-dir", data]
                     + self.net.tls("sl", 1), os.path.join(self.root, "busy-sl.log"))
        self.net.procs.append(sl)
        self.assertTrue(sl.wait_for_log("is up"), sl.log())
        out = self.doctor("--data-dir", data, code=1)
        self.assertIn(f"is in use by another process (pid {sl.popen.pid}", out)
        self.assertIn("1 check(s) failed", out)


if __name__ == "__main__":
    SWARM, argv = swarm_args.split(sys.argv)
    unittest.main(argv=argv)
