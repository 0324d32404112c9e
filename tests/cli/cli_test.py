"""The `swarm` binary as a user runs it: usage errors exit 2 with a message naming the
problem, failed commands exit 1 with one, and nothing is written on failure.

Run: /usr/bin/python3 cli_test.py --swarm PATH_TO_SWARM [unittest args]
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "formats"))
import blob_v1  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402

SWARM = None  # set from --swarm before unittest.main


class CliTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def swarm(self, *args, code, says=(), env=None):
        """Runs swarm, checks its exit status and that stderr (or stdout on success) says
        each of `says`; returns the output."""
        r = subprocess.run([SWARM, *args], capture_output=True, text=True,
                           env=dict(os.environ, **env) if env else None)
        out = r.stdout if code == 0 else r.stderr
        self.assertEqual(r.returncode, code, f"swarm {' '.join(args)}\n{r.stdout}{r.stderr}")
        for words in says:
            self.assertIn(words, out)
        return out

    def model(self, name, values, tensor="w", dtype="f32"):
        arr = np.asarray(values, {"f32": "<f4", "f64": "<f8"}[dtype])
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(blob_v1.write_blob([(tensor, dtype, arr.shape, arr.tobytes())]))
        return path

    def test_commands_and_usage_errors(self):
        self.swarm("--help", code=0, says=["model"])
        self.swarm(code=2, says=["'swarm' needs a command: model"])
        self.swarm("bogus", code=2, says=["unknown command 'swarm bogus'", "model"])
        self.swarm("model", code=2, says=["'swarm model' needs a command: info, merge"])
        self.swarm("model", "frob", code=2, says=["unknown command 'swarm model frob'", "info, merge"])
        self.swarm("model", "info", os.path.join(self.dir, "missing.blob"), code=2, says=["does not exist"])
        self.swarm("model", "merge", self.model("a", [1]), code=2, says=["--output is required"])

    def test_merge_argument_errors(self):
        a, b = self.model("a", [1, 2]), self.model("b", [3, 4])
        out = os.path.join(self.dir, "out.blob")
        self.swarm("model", "merge", "--method", "median", "-o", out, a, b, code=1,
                   says=["unknown merge method 'median'", "mean, coordmedian or geomedian"])
        self.swarm("model", "merge", "--weights", "1", "-o", out, a, b, code=1,
                   says=["got 1 weights for 2 inputs"])
        for w in ("0,1", "1,101"):
            self.swarm("model", "merge", "--weights", w, "-o", out, a, b, code=1, says=["1..100"])
        self.swarm("model", "merge", "--weights", "x,1", "-o", out, a, b, code=2, says=["--weights"])
        self.assertFalse(os.path.exists(out), "a failed merge left an output file")

    def test_merge_input_errors(self):
        a = self.model("a", [1, 2])
        out = os.path.join(self.dir, "out.blob")
        self.swarm("model", "merge", "-o", out, a, self.model("b", [1, 2, 3]), code=1,
                   says=["schema mismatch at tensor 0", "f32[2]", "f32[3]"])
        self.swarm("model", "merge", "-o", out, a, self.model("c", [1, 2], tensor="v"), code=1,
                   says=["schema mismatch at tensor 0", "'w'", "'v'"])
        self.swarm("model", "merge", "-o", out, a, self.model("n", [1, float("nan")]), code=1,
                   says=["input 1", "tensor 'w' element 1", "NaN"])
        self.swarm("model", "merge", "-o", out, a, self.model("i", [float("-inf"), 1]), code=1,
                   says=["input 1", "element 0", "finite"])
        self.assertFalse(os.path.exists(out), "a failed merge left an output file")
        self.swarm("model", "merge", "-o", os.path.join(self.dir, "no", "such", "dir.blob"), a, code=1,
                   says=["no/such"])

    def test_merge_never_replaces_an_output_unasked_nor_a_non_regular_file(self):
        a, b = self.model("a", [1, 2]), self.model("b", [3, 4])
        out = os.path.join(self.dir, "out.blob")
        with open(out, "wb") as f:
            f.write(b"keep me")
        self.swarm("model", "merge", "-o", out, a, b, code=1, says=["exists; add --force to replace it"])
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"keep me")
        self.swarm("model", "merge", "--force", "-o", out, a, b, code=0, says=["merged 2 models"])
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        self.swarm("model", "merge", "--force", "-o", fifo, a, b, code=1, says=["is not a regular file"])
        self.assertTrue(os.path.exists(fifo) and not os.path.isfile(fifo))

    def test_a_blob_shorter_than_its_header_claims_is_refused_before_its_tensors_are_allocated(self):
        big = self.model("big", np.zeros(1 << 18))  # 1 MiB of tensor data
        with open(big, "rb") as f:
            head = f.read(256)  # the header and the table: still valid, the data is gone
        short = os.path.join(self.dir, "short.blob")
        with open(short, "wb") as f:
            f.write(head)
        out = os.path.join(self.dir, "out.blob")
        self.swarm("model", "merge", "-o", out, short, code=1,
                   says=["blob truncated: the stream ended at offset 256 while reading the payload of tensor 0",
                         "the header says the blob is"])
        self.assertFalse(os.path.exists(out))

    def test_sl_environment_knobs_are_checked_before_anything_starts(self):
        data = os.path.join(self.dir, "sl")
        args = ["sl", "--key", "k.pem", "--cert", "c.pem", "--capath", "ca", "--data-dir", data]
        for value in ("x", "-1", "100001", "99999999999999999999999", "3.5"):
            self.swarm(*args, code=2, env={"SL_START_QUORUM": value},
                       says=[f"SL_START_QUORUM='{value}' is not a whole number in 0..100000"])
        self.swarm(*args, code=2, env={"SL_SYNC_MAX_WAIT_SECONDS": "soon"},
                   says=["SL_SYNC_MAX_WAIT_SECONDS='soon' is not a number of seconds"])
        self.assertFalse(os.path.exists(data))

    def test_service_names_and_proxy_config_errors_name_the_flag_and_the_form(self):
        self.swarm("gen-cert", "-e", "rp", "-i", "1", "-o", self.dir, "--service", "sn=api.sn-1.swarm", code=0)
        cert = os.path.join(self.dir, "rp", "cert")

        def tls(role):
            return ["--key", f"{cert}/{role}-1-key.pem", "--cert", f"{cert}/{role}-1-cert.pem",
                    "--capath", f"{cert}/ca/capath"]
        self.swarm("sn", "--sentinel", "--sn-api-service", "10.0.0.1", *tls("sn"), "--data-dir",
                   os.path.join(self.dir, "sn"), code=1,
                   says=["--sn-api-service '10.0.0.1' is an IP address, not a service name"])
        self.swarm("sn", "--sentinel-api-service", "api_sn.swarm", *tls("sn"), "--data-dir",
                   os.path.join(self.dir, "sn2"), code=1, says=["'api_sn.swarm' is not a DNS name"])
        self.swarm("sl", "--sl-fs-service", "fs.sl-1.swarm:0", *tls("sl"), "--data-dir", os.path.join(self.dir, "sl"),
                   code=1, says=["--sl-fs-service", "expected a port from 1 to 65535"])
        self.swarm("sl", "--sn-ip", "10.0.0.1", "--sn-api-service", "api.sn-1.swarm", *tls("sl"), "--data-dir",
                   os.path.join(self.dir, "sl"), code=2, says=["give the SN by --sn-ip or by --sn-api-service, not both"])
        self.swarm("swop", "--sn-api-service", "[::1]:443", "--usr-dir", self.dir, "--profile-file-name", "p.yaml",
                   *tls("swop"), code=2, says=["is an IPv6 address, not a service name"])
        self.swarm("gen-cert", "-e", "rp2", "-i", "1", "-o", self.dir, "--service", "api.sn-1.swarm", code=1,
                   says=["--service 'api.sn-1.swarm' is not ROLE=FQDN"])
        self.swarm("proxy-config", "nginx", "--route", "api.sn-1.swarm=10.0.0.3", "--run-dir", self.dir, code=2,
                   says=["'10.0.0.3' is not one HOST:PORT"])
        self.swarm("proxy-config", "bind9", "--record", "api.sn-1.example=10.0.0.3", "--listen-ip", "10.0.0.53",
                   "--dir", os.path.join(self.dir, "dns"), code=2, says=["is not in the zone 'swarm'"])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "dns")))
        conf = self.swarm("proxy-config", "nginx", "--route", "api.sn-1.swarm=10.0.0.3:30304", "--run-dir", self.dir,
                          code=0)
        self.assertIn("api.sn-1.swarm swarm_api_sn_1_swarm;", conf)

    def test_merge_methods(self):
        a, b, c = self.model("a", [1, 10]), self.model("b", [2, 20]), self.model("c", [30, 30])
        out = os.path.join(self.dir, "out.blob")
        expected = {"mean": [11, 20], "coordmedian": [2, 20]}
        for method, want in expected.items():
            self.swarm("model", "merge", "--method", method, "--force", "-o", out, a, b, c, code=0,
                       says=[f"merged 3 models with {method}", "sha256: "])
            with open(out, "rb") as f:
                (_, _, _, data), = blob_v1.read_blob(f.read())
            np.testing.assert_allclose(np.frombuffer(data, "<f4"), want, rtol=1e-6)
        said = self.swarm("model", "merge", "--method", "geomedian", "--weights", "1,1,2", "--force", "-o", out,
                          a, b, c,
                          code=0, says=["iterations"])
        self.assertRegex(said, r"\(\d+ iterations, (converged|stopped at the iteration limit)")


if __name__ == "__main__":
    SWARM, argv = swarm_args.split(sys.argv)
    unittest.main(argv=argv)
