"""The data side of the fraud-detection program: a checked reader for CSV files in the
format of Kaggle's credit-card fraud data set, the split every node computes alike (one
held-out test set common to all nodes, and a class- and volume-biased share of the rest
for each node), standardization, and the metrics (precision, recall, ROC AUC by ranks).

    /usr/bin/python3 fraud_data.py FILE [NODE_COUNT]

checks FILE and prints how NODE_COUNT nodes (default 4) would split it.
"""
import csv
import math
import os
import sys

import numpy as np

COLUMNS = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount", "Class"]
FEATURES = COLUMNS[:-1]
EXPECTED = ('31 comma-separated values per line under the header "Time","V1",...,"V28","Amount","Class": '
            '30 numbers, then Class 0 or 1')
TEST_FRACTION = 0.25
SPLIT_SEED = 20240607  # the same on every node: that is what makes the test set common


class CsvError(ValueError):
    """A file that is not in the expected form; the message names the file and line."""


def csv_path(data_dir):
    """DATA_DIR is the CSV itself, or a directory holding creditcard.csv (Kaggle's name) or
    exactly one .csv file."""
    if os.path.isfile(data_dir):
        return data_dir
    if not os.path.isdir(data_dir):
        raise CsvError(f"DATA_DIR {data_dir}: no such file or directory")
    if os.path.isfile(os.path.join(data_dir, "creditcard.csv")):
        return os.path.join(data_dir, "creditcard.csv")
    found = sorted(f for f in os.listdir(data_dir) if f.endswith(".csv"))
    if len(found) != 1:
        raise CsvError(f"DATA_DIR {data_dir}: expected creditcard.csv or exactly one .csv file; found "
                       f"{', '.join(found) or 'none'}")
    return os.path.join(data_dir, found[0])


def read_csv(path):
    """(x float64 [N, 30], y int64 [N]) from a Kaggle-format file; raises CsvError naming the
    file, the line and the expected form at the first thing that does not fit."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise CsvError(f"{path}: cannot open: {e.strerror}") from None
    chunks, rows = [], []  # rows go into float64 arrays 10,000 at a time: Kaggle's file has 284,807
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            if header is None:
                raise CsvError(f"{path}: the file is empty; expected {EXPECTED}")
            if [h.strip() for h in header] != COLUMNS:
                raise CsvError(f"{path}, line 1: the header is {_show(header)}; expected "
                               f"\"Time\",\"V1\",...,\"V28\",\"Amount\",\"Class\" (31 columns)")
            for row in reader:
                rows.append(_parse(path, reader.line_num, row))
                if len(rows) == 10000:
                    chunks.append(np.array(rows, dtype=np.float64))
                    rows = []
        except csv.Error as e:
            raise CsvError(f"{path}, line {reader.line_num}: not valid CSV ({e}); expected {EXPECTED}") from None
        except UnicodeDecodeError:
            raise CsvError(f"{path}, line {reader.line_num + 1}: not UTF-8 text; expected {EXPECTED}") from None
    if rows:
        chunks.append(np.array(rows, dtype=np.float64))
    if not chunks:
        raise CsvError(f"{path}: a header and no rows; expected {EXPECTED}")
    data = np.concatenate(chunks)
    return data[:, :-1], data[:, -1].astype(np.int64)


def _parse(path, line, row):
    if len(row) != len(COLUMNS):
        raise CsvError(f"{path}, line {line}: {len(row)} values; expected {EXPECTED}")
    values = []
    for name, text in zip(COLUMNS, row):
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise CsvError(f"{path}, line {line}: {name} is {text!r}, not a finite number; expected {EXPECTED}")
        values.append(v)
    if values[-1] not in (0.0, 1.0):
        raise CsvError(f"{path}, line {line}: Class is {row[-1]!r}; expected 0 (normal) or 1 (fraud)")
    return values


def _show(header):
    text = ",".join(header)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def node_shares(count):
    """(normal share, fraud share) of the training rows for each of `count` nodes. Node 1
    gets the most rows but the fewest frauds; the last node few rows but the most frauds:
    normals 2^(count-1-i) : ..., frauds (i+1) : ..."""
    normal = np.array([2.0 ** (count - 1 - i) for i in range(count)])
    fraud = np.arange(1, count + 1, dtype=np.float64)
    return normal / normal.sum(), fraud / fraud.sum()


def split(y, node_index, node_count):
    """(train rows of node `node_index` (1-based) of `node_count`, test rows), as indices.
    The test set is TEST_FRACTION of each class, the same for every node; the rest of each
    class is dealt out in the proportions of node_shares."""
    if not 1 <= node_index <= node_count:
        raise ValueError(f"NODE_INDEX must be 1..NODE_COUNT ({node_count}); got {node_index}")
    rng = np.random.default_rng(SPLIT_SEED)
    test, train = [], []
    for label, shares in zip((0, 1), node_shares(node_count)):
        rows = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(rows) * TEST_FRACTION))
        test.append(rows[:n_test])
        bounds = np.round(np.cumsum(np.concatenate([[0.0], shares])) * (len(rows) - n_test)).astype(int)
        train.append(rows[n_test:][bounds[node_index - 1]:bounds[node_index]])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


class Standardizer:
    """log1p(Amount), then every feature centred and scaled by the mean and standard deviation
    of the node's normal (Class 0) training rows. Frauds are left out of the statistics so
    that nodes with very different fraud shares scale their inputs (nearly) alike, which the
    merged model needs."""

    def __init__(self, x, y):
        normal = self._prepare(x[y == 0] if (y == 0).any() else x)
        self.mean = normal.mean(axis=0)
        std = normal.std(axis=0)
        self.std = np.where(std > 1e-9, std, 1.0)

    @staticmethod
    def _prepare(x):
        x = x.copy()
        x[:, FEATURES.index("Amount")] = np.log1p(np.maximum(x[:, FEATURES.index("Amount")], 0.0))
        return x

    def __call__(self, x):
        return ((self._prepare(x) - self.mean) / self.std).astype(np.float32)


def roc_auc(labels, scores):
    """Area under the ROC curve: the chance that a random fraud scores above a random normal
    row (ties count half), from the ranks of the scores (Mann-Whitney U)."""
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=np.float64)
    n_pos = int((labels == 1).sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Average rank (1-based) of each group of equal scores.
    starts = np.flatnonzero(np.concatenate([[True], sorted_scores[1:] != sorted_scores[:-1]]))
    counts = np.diff(np.concatenate([starts, [len(scores)]]))
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def precision_recall(labels, predicted):
    labels, predicted = np.asarray(labels) == 1, np.asarray(predicted) == 1
    tp = int((labels & predicted).sum())
    precision = tp / int(predicted.sum()) if predicted.any() else 0.0
    recall = tp / int(labels.sum()) if labels.any() else 0.0
    return precision, recall


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} FILE [NODE_COUNT]")
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 4
    try:
        path = csv_path(sys.argv[1])
        _, y = read_csv(path)
    except CsvError as e:
        sys.exit(f"error: {e}")
    frauds = int(y.sum())
    print(f"{path}: {len(y)} transactions, {frauds} frauds ({100.0 * frauds / len(y):.2f} %)")
    for i in range(1, count + 1):
        train, test = split(y, i, count)
        print(f"  node {i}: {len(train)} training rows, {int(y[train].sum())} frauds")
    print(f"  test set (common to all nodes): {len(test)} rows, {int(y[test].sum())} frauds")


if __name__ == "__main__":
    main()
