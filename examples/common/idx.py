"""Reads the gzipped IDX files of MNIST and Fashion-MNIST (train-images-idx3-ubyte.gz, ...)."""
import gzip
import os
import struct

import numpy as np


def read_idx(path):
    """The array in one gzipped IDX file of unsigned bytes; ValueError naming the file if not."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"{path}: cannot read it as a gzipped IDX file ({e})") from e
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    if magic >> 8 != 0x08 or dims not in (1, 3):
        raise ValueError(f"{path}: not an IDX file of unsigned bytes with 1 or 3 dimensions (magic {magic:#x})")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {array.size} values, the header says {shape}")
    return array.reshape(shape)


def load(data_dir, prefix):
    """(images [N, 28, 28] float32 in [0, 1], labels [N] int64) of `prefix` (train or t10k)."""
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if len(x) != len(y):
        raise ValueError(f"{data_dir}: {len(x)} {prefix} images but {len(y)} labels")
    return x.astype(np.float32) / 255.0, y.astype(np.int64)
