"""Writes a small, learnable stand-in for CIFAR-10 (which cannot be downloaded here) in
exactly the format of its binary version: data_batch_1.bin, data_batch_2.bin and
test_batch.bin, each a run of 3073-byte records: the label (0-9), then the 32x32 image as
1024 red, 1024 green and 1024 blue bytes, row by row.

    /usr/bin/python3 make_sample_data.py -o DIR [--train-per-batch 1000] [--test 500] [--seed 1]

Each class has its own colour and its own shape (a bar, a square, a ring, ... at a class
position), drawn with random brightness, offset and noise; the same arguments always give
the same bytes.
"""
import argparse
import os

import numpy as np

RECORD = 1 + 3 * 32 * 32


def shape_mask(label, dx, dy):
    yy, xx = np.mgrid[0:32, 0:32]
    cx, cy = 16 + dx, 16 + dy
    r = np.hypot(xx - cx, yy - cy)
    masks = [abs(xx - cx) < 3, abs(yy - cy) < 3, (abs(xx - cx) < 7) & (abs(yy - cy) < 7), (r > 6) & (r < 10),
             r < 6, abs((xx - cx) - (yy - cy)) < 3, abs((xx - cx) + (yy - cy)) < 3, (xx < cx) & (yy < cy),
             (xx > cx) & (yy > cy), ((xx + yy) // 4) % 2 == 0]
    return masks[label]


def make(n, rng):
    colours = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200], [200, 200, 40], [200, 40, 200],
                        [40, 200, 200], [220, 130, 40], [130, 40, 220], [120, 120, 120], [240, 240, 240]])
    labels = rng.integers(0, 10, n)
    out = np.empty((n, RECORD), dtype=np.uint8)
    for i, label in enumerate(labels):
        dx, dy = rng.integers(-4, 5, 2)
        mask = shape_mask(label, dx, dy)
        image = rng.normal(60, 25, (3, 32, 32))
        colour = colours[label] * rng.uniform(0.6, 1.0)
        image[:, mask] += colour[:, None] * 0.8
        out[i, 0] = label
        out[i, 1:] = np.clip(image, 0, 255).astype(np.uint8).reshape(-1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="the directory to write the .bin files to")
    parser.add_argument("--train-per-batch", type=int, default=1000, help="records per data_batch file")
    parser.add_argument("--test", type=int, default=500, help="records in test_batch.bin")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.output, exist_ok=True)
    for name, n in [("data_batch_1.bin", args.train_per_batch), ("data_batch_2.bin", args.train_per_batch),
                    ("test_batch.bin", args.test)]:
        make(n, rng).tofile(os.path.join(args.output, name))
    print(f"{args.output}: data_batch_1.bin, data_batch_2.bin ({args.train_per_batch} records each), "
          f"test_batch.bin ({args.test})")


if __name__ == "__main__":
    main()
