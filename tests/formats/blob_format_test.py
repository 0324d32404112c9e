"""Conformance test: the swarm binary against blob_v1.py, an implementation of
docs/formats.md written from the document alone.

Run: /usr/bin/python3 blob_format_test.py --swarm PATH_TO_SWARM [unittest args]
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np  # installed by scripts/setup; a missing numpy is a failure, not a skip

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blob_v1  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402

SWARM = None  # set from --swarm before unittest.main


def bf16_bytes(values):
    # Values chosen exactly representable in bf16, so truncating the f32 works.
    bits = np.asarray(values, dtype="<f4").view("<u4") >> 16
    return bits.astype("<u2").tobytes()


def all_dtypes_model():
    """Every dtype, a scalar, empty tensors (one after a non-empty tensor, so its
    data_offset is not 0), a multi-dim tensor, and non-ASCII UTF-8 names."""
    rng = np.random.default_rng(1)
    return [
        ("conv1.weight", "f32", (3, 2, 2), rng.standard_normal(12).astype("<f4").tobytes()),
        ("échelle", "f64", (), np.array(2.5, "<f8").tobytes()),
        ("空のテンソル", "f16", (0, 3), b""),
        ("half", "f16", (5,), np.array([1, -2, 0.5, 65504, 6e-8], "<f2").tobytes()),
        ("brain.bf16 🧠", "bf16", (2, 3), bf16_bytes([1, -1.5, 0.25, 3, 96, -0.125])),
        ("tail", "f32", (4, 0), b""),
        ("w", "f32", (3,), np.array([1, 2, -0.0], "<f4").tobytes()),  # -0.0 must survive a merge of one
    ]


def run_swarm(*args):
    return subprocess.run([SWARM, *args], capture_output=True)


class BlobFormatTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_document_example(self):
        # The worked example in docs/formats.md, field by field.
        blob = blob_v1.write_blob([("w", "f32", (2,), np.array([1, 2], "<f4").tobytes())])
        self.assertEqual(len(blob), 212)
        self.assertEqual(blob[:8], b"SWRMBLOB")
        self.assertEqual(struct.unpack_from("<IIIIQQQ", blob, 8), (1, 0, 1, 29, 128, 64, 212))
        self.assertEqual(blob[0x40:0x45], bytes([0x01, 0x00, 0x77, 0x01, 0x01]))
        self.assertEqual(blob[0xC0:0xC8], b"SWRMFOOT")
        self.assertEqual(blob_v1.crc32c(b"123456789"), 0xE3069283)

    def test_info_accepts_python_blob(self):
        tensors = all_dtypes_model()
        blob = blob_v1.write_blob(tensors)
        self.assertEqual(blob_v1.read_blob(blob), tensors)
        r = run_swarm("model", "info", self.write("model.blob", blob))
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        out = r.stdout.decode("utf-8")
        m = re.search(r"^sha256:\s+([0-9a-f]{64})\s*$", out, re.M)
        self.assertIsNotNone(m, out)
        self.assertEqual(m.group(1), blob_v1.sha256_hex(blob))
        for name, _, _, _ in tensors:
            self.assertIn(name, out)

    def test_empty_model(self):
        blob = blob_v1.write_blob([])
        r = run_swarm("model", "info", self.write("empty.blob", blob))
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))

    def test_single_input_mean_round_trips(self):
        tensors = all_dtypes_model()
        src = self.write("in.blob", blob_v1.write_blob(tensors))
        out = os.path.join(self.dir, "out.blob")
        r = run_swarm("model", "merge", "--method", "mean", "-o", out, src)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        written = self.read(out)
        self.assertEqual(blob_v1.read_blob(written), tensors)
        # Byte-identical writers: Python re-serialises swarm's output exactly.
        self.assertEqual(blob_v1.write_blob(blob_v1.read_blob(written)), written)

    def test_weighted_mean(self):
        # Positive values: no cancellation, so a relative tolerance is meaningful.
        rng = np.random.default_rng(7)
        models = []
        for _ in range(2):
            models.append({
                "a": rng.uniform(0.5, 1e4, (4, 5)).astype("<f4"),
                "b": rng.uniform(0.5, 1e4, (7,)).astype("<f8"),
                "c": np.array(rng.uniform(1, 2), "<f4"),
            })
        dtypes = {"<f4": "f32", "<f8": "f64"}
        paths = []
        for i, m in enumerate(models):
            tensors = [(k, dtypes[v.dtype.str], v.shape, v.tobytes()) for k, v in m.items()]
            paths.append(self.write("in%d.blob" % i, blob_v1.write_blob(tensors)))
        out = os.path.join(self.dir, "out.blob")
        r = run_swarm("model", "merge", "--weights", "3,1", "-o", out, *paths)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        merged = blob_v1.read_blob(self.read(out))
        self.assertEqual([t[0] for t in merged], ["a", "b", "c"])
        for name, dtype, shape, data in merged:
            ref = models[0][name]
            self.assertEqual((dtype, shape), (dtypes[ref.dtype.str], ref.shape))
            got = np.frombuffer(data, ref.dtype).reshape(shape)
            want = np.average([models[0][name].astype("f8"), models[1][name].astype("f8")],
                              axis=0, weights=[3, 1])
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=name)

    def test_corruptions_are_reported(self):
        tensors = [("w", "f32", (2,), np.array([1, 2], "<f4").tobytes()),
                   ("fc.weight", "f32", (10, 16), np.ones(160, "<f4").tobytes())]
        good = blob_v1.write_blob(tensors)
        payload_offset = struct.unpack_from("<Q", good, 24)[0]
        fc = payload_offset + 64  # second tensor starts at the next multiple of 64

        def patched(offset, value):
            b = bytearray(good)
            b[offset] = value
            return bytes(b)

        def patched_header(offset, value):
            # Header checksum recomputed, so the check under test is the one that fires.
            b = bytearray(patched(offset, value))
            struct.pack_into("<I", b, 60, blob_v1.crc32c(bytes(b[:60])))
            return bytes(b)

        # (blob, words the stderr must contain); each case is also fed to read_blob.
        cases = {
            "truncated": (good[:fc + 100], ["truncated", "offset %d" % (fc + 100), "fc.weight"]),
            "flipped payload byte": (patched(fc + 5, good[fc + 5] ^ 0x01),
                                     ["corrupted", "fc.weight", "checksum"]),
            "wrong version": (patched(8, 2), ["version 2", "offset 8"]),
            "bad magic": (b"PK\x03\x04" + good[4:], ["not a Swarm model blob", "SWRMBLOB"]),
            "non-zero padding": (patched(payload_offset + 8, 1), ["padding", "offset"]),
            "trailing bytes": (good + b"\0", ["trailing", "offset %d" % len(good)]),
            "reserved byte": (patched_header(55, 1), ["reserved", "offset 55"]),
            "short file of another kind": (b"PK\x03\x04" + bytes(36), ["not a Swarm model blob"]),
            "short file of a later version": (patched(8, 2)[:12], ["version 2"]),
        }
        for what, (blob, words) in cases.items():
            with self.subTest(what):
                with self.assertRaises(ValueError):
                    blob_v1.read_blob(blob)
                r = run_swarm("model", "info", self.write("bad.blob", blob))
                err = r.stderr.decode(errors="replace")
                # 1 is an orderly failure; a negative code would be a signal (crash).
                self.assertEqual(r.returncode, 1, err)
                for word in words:
                    self.assertIn(word, err)


if __name__ == "__main__":
    SWARM, argv = swarm_args.split(sys.argv)
    unittest.main(argv=argv)
