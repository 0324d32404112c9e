"""HPE's CIFAR-10 program, ours: a small PyTorch CNN on CIFAR-10 with Swarm Learning.

Environment, as HPE's example programs read it:
  DATA_DIR      the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin (those
                present are used) and test_batch.bin
  MODEL_DIR     where the final model (cifar10.pt) and result.json go
  SCRATCH_DIR   where the local model is saved after each epoch (default MODEL_DIR)
  MAX_EPOCHS (2), MIN_PEERS (2), SYNC_FREQUENCY (16 batches)
  NODE_INDEX, NODE_COUNT   this node's part of the training records (every NODE_COUNT-th
                from NODE_INDEX, 1-based); default 1 of 1
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

from swarmlearning.pyt import SwarmCallback

RECORD = 1 + 3 * 32 * 32
FORMAT = "CIFAR-10 binary records of 3073 bytes: a label 0-9, then 1024 red, 1024 green, 1024 blue bytes"


class DataError(ValueError):
    pass


def read_batch(path):
    """(images [N, 3, 32, 32] float32 in [0, 1], labels [N] int64) of one .bin file."""
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError(f"{path}: cannot read it ({e.strerror}); expected {FORMAT}") from None
    if raw.size == 0 or raw.size % RECORD:
        raise DataError(f"{path}: {raw.size} bytes is not a whole number of records; expected {FORMAT}")
    records = raw.reshape(-1, RECORD)
    labels = records[:, 0]
    if labels.max() > 9:
        bad = int(np.flatnonzero(labels > 9)[0])
        raise DataError(f"{path}: record {bad} has label {labels[bad]}; expected {FORMAT}")
    images = records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    return images, labels.astype(np.int64)


def load(data_dir):
    batches = [os.path.join(data_dir, f"data_batch_{i}.bin") for i in range(1, 6)]
    batches = [b for b in batches if os.path.exists(b)]
    if not batches:
        raise DataError(f"{data_dir}: no data_batch_1.bin ... data_batch_5.bin; expected the CIFAR-10 binary "
                        "version (cifar-10-batches-bin)")
    train = [read_batch(b) for b in batches]
    x_test, y_test = read_batch(os.path.join(data_dir, "test_batch.bin"))
    return np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]), x_test, y_test


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.fc = torch.nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def env_int(name, default):
    text = os.environ.get(name) or str(default)
    if not text.isdigit():
        sys.exit(f"cifar10: {name} must be a non-negative integer; got '{text}'")
    return int(text)


def main():
    torch.set_num_threads(1)
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    epochs, node, nodes = env_int("MAX_EPOCHS", 2), env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    if not 1 <= node <= nodes:
        sys.exit(f"cifar10: NODE_INDEX must be 1..NODE_COUNT ({nodes}); got {node}")
    try:
        x_train, y_train, x_test, y_test = load(os.environ.get("DATA_DIR") or ".")
    except DataError as e:
        sys.exit(f"cifar10: {e}")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    x_train, y_train = torch.from_numpy(x_train[node - 1::nodes]), torch.from_numpy(y_train[node - 1::nodes])
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)

    torch.manual_seed(1)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 16), minPeers=env_int("MIN_PEERS", 2),
                          totalEpochs=epochs, lossFunction="CrossEntropyLoss", metricFunction="Accuracy",
                          model=model)
    swarm.on_train_begin()
    generator = torch.Generator().manual_seed(node)
    for epoch in range(epochs):
        order = torch.randperm(len(x_train), generator=generator)
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            swarm.on_batch_end()
        swarm.on_epoch_end(epoch)
        torch.save(model.state_dict(), os.path.join(scratch_dir, "cifar10_local.pt"))
    swarm.on_train_end()

    with torch.no_grad():
        accuracy = float((model(x_test).argmax(dim=1) == y_test).float().mean())
    torch.save(model.state_dict(), os.path.join(model_dir, "cifar10.pt"))
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "rounds": swarm.rounds, "params_sha256": digest,
                   "train_records": len(x_train)}, f)
    print(f"cifar10: node {node} of {nodes}: test accuracy {accuracy:.4f} on {len(y_test)} images, "
          f"{swarm.rounds} Swarm rounds")


if __name__ == "__main__":
    main()
