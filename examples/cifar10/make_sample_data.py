"""Writes a small, learnable stand-in for CIFAR-10 (which cannot be downloaded here) in
exactly the format of the "CIFAR-10 binary version": data_batch_1.bin ... data_batch_N.bin
and test_batch.bin, each a run of 3073-byte records: one label byte (0-9), then the 32x32
image as 1024 red, 1024 green and 1024 blue bytes, each plane row by row.

    /usr/bin/python3 examples/cifar10/make_sample_data.py -o DIR [--batches 3] [--per-batch 1000] [--test 1000]

Each class is one of five colours combined with one of five shapes (square, disc,
horizontal bar, vertical bar, cross), so that every colour and every shape belongs to two
classes and a model must learn both. Position, size, brightness, background and noise vary
per image. The same arguments always write the same bytes.
"""
import argparse
import os
import sys

import numpy as np

SIDE = 32
RECORD = 1 + 3 * SIDE * SIDE
PALETTE = np.array([[220, 50, 50], [50, 200, 60], [60, 80, 230], [230, 210, 50], [200, 60, 210]], dtype=np.float32)
SHAPES = ("square", "disc", "horizontal bar", "vertical bar", "cross")


def colour_and_shape(label):
    """Class `label`'s colour index and shape index: distinct pairs for the ten classes."""
    return label % 5, label // 2


def mask(shape, cx, cy, size):
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    dx, dy = np.abs(xx - cx), np.abs(yy - cy)
    if SHAPES[shape] == "square":
        return (dx <= size) & (dy <= size)
    if SHAPES[shape] == "disc":
        return dx ** 2 + dy ** 2 <= (size + 1) ** 2
    if SHAPES[shape] == "horizontal bar":
        return (dx <= size + 4) & (dy <= 2)
    if SHAPES[shape] == "vertical bar":
        return (dx <= 2) & (dy <= size + 4)
    return ((dx <= 1) | (dy <= 1)) & (dx <= size + 3) & (dy <= size + 3)  # cross


def records(count, rng):
    """`count` records, shape [count, 3073], uint8."""
    out = np.empty((count, RECORD), dtype=np.uint8)
    labels = rng.integers(0, 10, count)
    for i, label in enumerate(labels):
        colour, shape = colour_and_shape(label)
        cx, cy = rng.integers(10, 22, 2)
        m = mask(shape, cx, cy, int(rng.integers(4, 8)))
        background = rng.uniform(20, 110, 3).astype(np.float32)
        image = np.broadcast_to(background[:, None, None], (3, SIDE, SIDE)).copy()
        image[:, m] = (PALETTE[colour] * rng.uniform(0.7, 1.0))[:, None]
        image += rng.normal(0, 20, image.shape)
        out[i, 0] = label
        out[i, 1:] = np.clip(image, 0, 255).astype(np.uint8).reshape(-1)  # R plane, G plane, B plane
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="the directory for the .bin files (made if missing)")
    parser.add_argument("--batches", type=int, default=3, choices=range(1, 6), metavar="1-5",
                        help="how many data_batch_N.bin files (default 3)")
    parser.add_argument("--per-batch", type=int, default=1000, help="records in each data_batch file (default 1000)")
    parser.add_argument("--test", type=int, default=1000, help="records in test_batch.bin (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.per_batch < 1 or args.test < 1:
        sys.exit("make_sample_data: --per-batch and --test must be at least 1")
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.output, exist_ok=True)
    names = [f"data_batch_{i}.bin" for i in range(1, args.batches + 1)]
    for name in names:
        records(args.per_batch, rng).tofile(os.path.join(args.output, name))
    records(args.test, rng).tofile(os.path.join(args.output, "test_batch.bin"))
    print(f"{args.output}: {', '.join(names)} ({args.per_batch} records each) and test_batch.bin ({args.test}), "
          f"CIFAR-10 binary format")


if __name__ == "__main__":
    main()
