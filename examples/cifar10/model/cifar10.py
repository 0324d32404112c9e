"""CIFAR-10 with Swarm Learning: a small PyTorch CNN on this node's part of CIFAR-10, joining
the other nodes' training through its SL (SwarmCallback).

It reads its settings from the environment, as HPE's example programs do:

  DATA_DIR      the "CIFAR-10 binary version" (the directory cifar-10-batches-bin):
                data_batch_1.bin ... data_batch_5.bin, of which those present are used, and
                test_batch.bin. Default: the working directory.
  MODEL_DIR     the final Swarm model goes to MODEL_DIR/saved_models/cifar10.pt (a
                state_dict), with MODEL_DIR/result.json; SwarmCallback writes the SL's log
                for the user, cifar10_sw.log, there too. Default: the working directory.
  SCRATCH_DIR   where the local model is saved after each epoch (cifar10_epochE.pt).
                Default: MODEL_DIR.
  MAX_EPOCHS    local epochs (default 2)
  MIN_PEERS     nodes a sync round waits for (default 2)
  SYNC_FREQUENCY  batches between sync rounds (default 16)
  NODE_INDEX, NODE_COUNT  this node's part of the training records: every NODE_COUNT-th
                record, from the NODE_INDEX-th (1-based). Default 1 of 1, all of them.

Run alone, without an SL: SWARM_LOOPBACK=TRUE DATA_DIR=... /usr/bin/python3 cifar10.py
"""
import json
import os
import sys

# torch.set_num_threads(1) below does not reach OpenBLAS's own thread pool, whose idle
# threads spin (sched_yield) between batches and take the cores the SLs need at each sync.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from swarmlearning.pyt import SwarmCallback  # noqa: E402

SIDE = 32
RECORD = 1 + 3 * SIDE * SIDE  # 3073
FORMAT = ("CIFAR-10 binary records of 3073 bytes: a label byte 0-9, then a 32x32 image as 1024 red, "
          "1024 green and 1024 blue bytes")
BATCH = 32


class DataError(ValueError):
    """A data file that is missing or not in the CIFAR-10 binary format; says which and why."""


def read_batch(path):
    """(images [N, 3, 32, 32] float32 in [0, 1], labels [N] int64) of one .bin file."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: missing; expected a file of {FORMAT}")
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError(f"{path}: cannot read it ({e.strerror}); expected {FORMAT}") from None
    if raw.size == 0:
        raise DataError(f"{path}: empty; expected {FORMAT}")
    if raw.size % RECORD:
        raise DataError(f"{path}: {raw.size} bytes is not a whole number of records ({raw.size // RECORD} "
                        f"records and {raw.size % RECORD} bytes more); expected {FORMAT}")
    records = raw.reshape(-1, RECORD)
    labels = records[:, 0]
    if labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise DataError(f"{path}: record {bad} (at byte {bad * RECORD}) has label {labels[bad]}; expected {FORMAT}")
    images = records[:, 1:].reshape(-1, 3, SIDE, SIDE).astype(np.float32) / 255.0
    return images, labels.astype(np.int64)


def load(data_dir):
    """(x_train, y_train, x_test, y_test, the training files used) from DATA_DIR."""
    names = [f"data_batch_{i}.bin" for i in range(1, 6) if os.path.exists(os.path.join(data_dir, f"data_batch_{i}.bin"))]
    if not names:
        raise DataError(f"{data_dir}: no data_batch_1.bin ... data_batch_5.bin; expected the CIFAR-10 binary "
                        f"version (cifar-10-batches-bin), files of {FORMAT}")
    train = [read_batch(os.path.join(data_dir, name)) for name in names]
    x_test, y_test = read_batch(os.path.join(data_dir, "test_batch.bin"))
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return torch.from_numpy(x_train), torch.from_numpy(y_train), torch.from_numpy(x_test), torch.from_numpy(y_test), names


class Net(torch.nn.Module):
    """Two convolutions and two linear layers; about 150k parameters."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = torch.nn.Linear(32 * 8 * 8, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x - 0.5)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def env_int(name, default, low=1):
    text = os.environ.get(name) or str(default)
    if not text.isdigit() or int(text) < low:
        sys.exit(f"cifar10: {name} must be an integer >= {low}; got '{text}'")
    return int(text)


def main():
    torch.set_num_threads(1)  # several nodes may share this machine's cores
    data_dir = os.environ.get("DATA_DIR") or "."
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    epochs, min_peers = env_int("MAX_EPOCHS", 2), env_int("MIN_PEERS", 2)
    sync_frequency = env_int("SYNC_FREQUENCY", 16)
    node, nodes = env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    if node > nodes:
        sys.exit(f"cifar10: NODE_INDEX must be 1..NODE_COUNT ({nodes}); got {node}")
    try:
        x_train, y_train, x_test, y_test, files = load(data_dir)
    except DataError as e:
        sys.exit(f"cifar10: {e}")
    x_part, y_part = x_train[node - 1::nodes], y_train[node - 1::nodes]
    if len(x_part) < BATCH:
        sys.exit(f"cifar10: node {node} of {nodes} gets {len(x_part)} of the {len(x_train)} training records; "
                 f"it needs at least {BATCH}")
    os.makedirs(os.path.join(model_dir, "saved_models"), exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    print(f"cifar10: node {node} of {nodes}: {len(x_part)} training records from {', '.join(files)} in {data_dir}",
          flush=True)

    torch.manual_seed(1)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm_callback = SwarmCallback(syncFrequency=sync_frequency, minPeers=min_peers, totalEpochs=epochs,
                                   lossFunction="CrossEntropyLoss", metricFunction="Accuracy", model=model)
    swarm_callback.on_train_begin()
    shuffle = torch.Generator().manual_seed(node)
    for epoch in range(epochs):
        order = torch.randperm(len(x_part), generator=shuffle)
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(x_part[batch]), y_part[batch])
            loss.backward()
            optimizer.step()
            swarm_callback.on_batch_end()
        swarm_callback.on_epoch_end(epoch)
        swarm_callback.logger.info(f"epoch {epoch + 1}/{epochs}: last batch loss {float(loss):.4f}")
        torch.save(model.state_dict(), os.path.join(scratch_dir, f"cifar10_epoch{epoch + 1}.pt"))
    swarm_callback.on_train_end()  # the final Swarm model is now in `model`

    test_accuracy = accuracy(model, x_test, y_test)
    saved = os.path.join(model_dir, "saved_models", "cifar10.pt")
    torch.save(model.state_dict(), saved)
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump({"node": node, "test_accuracy": test_accuracy, "test_records": len(y_test),
                   "rounds": swarm_callback.rounds, "epochs": epochs, "train_records": len(x_part),
                   "train_files": files}, f)
    print(f"cifar10: node {node} of {nodes}: test accuracy {test_accuracy:.4f} on {len(y_test)} test records, "
          f"{swarm_callback.rounds} Swarm rounds; model {saved}", flush=True)


if __name__ == "__main__":
    main()
