"""`swarm gen-cert` and `swarm cert show` as a user runs them, checked with the openssl
command-line tool: the layout, key modes, that `openssl verify -CApath` accepts every
certificate, extensions, refusal to overwrite, and expired certificates.

Run: /usr/bin/python3 gen_cert_test.py --swarm PATH_TO_SWARM [unittest args]
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402

SWARM = None  # set from --swarm before unittest.main
ROLES = ("sn", "sl", "swop", "swci")


def run(*args, code=0):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != code:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}, expected {code}\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


class GenCertTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.ws = os.path.join(self.dir, "workspace")

    def gen(self, *args, code=0):
        return run(SWARM, "gen-cert", "-o", self.ws, *args, code=code)

    def cert_dir(self, example="mnist"):
        return os.path.join(self.ws, example, "cert")

    def test_layout_modes_and_openssl_verify(self):
        old = os.umask(0)  # modes do not follow the umask
        try:
            self.gen("-e", "mnist", "-i", "1", "--host-ip", "172.1.1.1", "--dns", "host-1.example")
        finally:
            os.umask(old)
        d = self.cert_dir()
        capath = os.path.join(d, "ca", "capath")
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "ca", "ca-1-key.pem")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "ca")).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(capath).st_mode), 0o755)
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o755)
        for role in ROLES:
            key, cert = (os.path.join(d, f"{role}-1-{kind}.pem") for kind in ("key", "cert"))
            self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600, key)
            self.assertEqual(stat.S_IMODE(os.stat(cert).st_mode), 0o644, cert)
            self.assertIn(": OK", run("openssl", "verify", "-CApath", capath, "-purpose", "sslserver", cert))
            self.assertIn(": OK", run("openssl", "verify", "-CApath", capath, "-purpose", "sslclient", cert))
            text = run("openssl", "x509", "-in", cert, "-noout", "-text")
            for words in ("ecdsa-with-SHA256", "NIST CURVE: P-256", f"Subject: OU = Swarm-Learning, CN = {role}-1",
                          "CA:FALSE", "Digital Signature", "TLS Web Server Authentication",
                          "TLS Web Client Authentication", f"URI:spiffe://swarm.learning/swarm/{role}",
                          f"DNS:{role}-1", "DNS:localhost", "DNS:host-1.example", "IP Address:127.0.0.1",
                          "IP Address:172.1.1.1"):
                self.assertIn(words, text, f"{role}: {words}")
            self.assertIn(": OK", run("openssl", "verify", "-CAfile",
                                      os.path.join(capath, "ca-1-cert.pem"), cert))
            # The key belongs to the certificate.
            pub_of_key = run("openssl", "pkey", "-in", key, "-pubout")
            pub_of_cert = run("openssl", "x509", "-in", cert, "-noout", "-pubkey")
            self.assertEqual(pub_of_key, pub_of_cert)

    def test_two_hosts_capath_and_cert_show(self):
        self.gen("-e", "mnist", "-i", "1")
        self.gen("-e", "mnist", "-i", "2")
        d = self.cert_dir()
        both = os.path.join(self.dir, "capath")
        os.mkdir(both)
        for i in (1, 2):
            shutil.copy(os.path.join(d, "ca", "capath", f"ca-{i}-cert.pem"), both)
        run("openssl", "rehash", both)
        for i in (1, 2):
            for role in ROLES:
                self.assertIn(": OK", run("openssl", "verify", "-CApath", both, os.path.join(d, f"{role}-{i}-cert.pem")))
        # Generated into one workspace, both hosts' CAs share its capath, as in HPE's layout.
        for i in (1, 2):
            self.assertIn(": OK", run("openssl", "verify", "-CApath", os.path.join(d, "ca", "capath"),
                                      os.path.join(d, f"sn-{i}-cert.pem")))
        # A host made elsewhere is not vouched for.
        run(SWARM, "gen-cert", "-o", os.path.join(self.dir, "elsewhere"), "-e", "mnist", "-i", "3")
        self.assertIn("unable to get local issuer certificate",
                      run("openssl", "verify", "-CApath", both,
                          os.path.join(self.dir, "elsewhere", "mnist", "cert", "sl-3-cert.pem"), code=2))
        shown = run(SWARM, "cert", "show", os.path.join(d, "swop-2-cert.pem"))
        for words in ("subject:     OU=Swarm-Learning, CN=swop-2", "issuer:      OU=Swarm-Learning, CN=ca-2",
                      "role:        swop", "spiffe://swarm.learning/swarm/swop", "expired:     no", "not after:"):
            self.assertIn(words, shown)

    def test_never_overwrites_without_force_and_expired_certs(self):
        self.gen("-e", "ex", "-i", "1")
        d = self.cert_dir("ex")
        with open(os.path.join(d, "sl-1-cert.pem")) as f:
            before = f.read()
        said = self.gen("-e", "ex", "-i", "1", code=1)
        self.assertIn("-1-key.pem' exists; not overwriting it (use --force", said)
        with open(os.path.join(d, "sl-1-cert.pem")) as f:
            self.assertEqual(f.read(), before)
        # With --force everything is new, the CA too; with --days -1 the certificates have expired.
        self.gen("-e", "ex", "-i", "1", "--force", "--days", "-1")
        shown = run(SWARM, "cert", "show", os.path.join(d, "sl-1-cert.pem"))
        self.assertIn("expired:     yes", shown)
        self.assertIn("certificate has expired",
                      run("openssl", "verify", "-CApath", os.path.join(d, "ca", "capath"),
                          os.path.join(d, "sl-1-cert.pem"), code=2))

    def test_bad_arguments(self):
        self.assertIn("-e", self.gen("-i", "1", code=2))
        self.assertIn("host index 0 is not valid", self.gen("-e", "x", "-i", "0", code=1))
        self.assertIn("--host-ip 'nope' is not an IPv4 or IPv6 address",
                      self.gen("-e", "x", "-i", "1", "--host-ip", "nope", code=1))
        self.assertFalse(os.path.exists(os.path.join(self.ws, "x")))
        self.assertIn("does not exist", run(SWARM, "cert", "show", os.path.join(self.dir, "nope.pem"), code=1))
        # An endless file is read up to a bound, not into all memory.
        self.assertIn("'/dev/zero' is larger than 1 MiB; expected a PEM file",
                      run(SWARM, "cert", "show", "/dev/zero", code=1))

    def test_swci_refuses_an_init_script_that_is_a_directory(self):
        self.gen("-e", "x", "-i", "1")
        cert = self.cert_dir("x")
        os.makedirs(os.path.join(self.dir, "usr", "swci-init"))
        said = run(SWARM, "swci", "--key", os.path.join(cert, "swci-1-key.pem"), "--cert",
                   os.path.join(cert, "swci-1-cert.pem"), "--capath", os.path.join(cert, "ca", "capath"),
                   "--usr-dir", os.path.join(self.dir, "usr"), code=1)
        self.assertIn("swci-init' is a directory; expected a file of SWCI commands", said)


if __name__ == "__main__":
    SWARM, argv = swarm_args.split(sys.argv)
    unittest.main(argv=argv)
