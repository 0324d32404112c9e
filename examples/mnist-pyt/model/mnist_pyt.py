"""HPE's MNIST-PYT program, ours: a small PyTorch CNN on MNIST with Swarm Learning.

Environment, as HPE's example programs read it:
  DATA_DIR      the gzipped MNIST IDX files (train-images-idx3-ubyte.gz, ...); default the
                Fashion-MNIST files of Debian's dataset-fashion-mnist, the same format
  MODEL_DIR     where the final model (mnist_pyt.pt) and result.json go
  SCRATCH_DIR   where the local model is saved after each epoch (default MODEL_DIR)
  MAX_EPOCHS (2), MIN_PEERS (2), SYNC_FREQUENCY (32 batches)
  NODE_INDEX, NODE_COUNT   this node's part of the training set: every NODE_COUNT-th image
                from NODE_INDEX (1-based); default 1 of 1
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from idx import load  # noqa: E402
from swarmlearning.pyt import SwarmCallback  # noqa: E402


def env_int(name, default):
    text = os.environ.get(name) or str(default)
    if not text.isdigit():
        sys.exit(f"mnist_pyt: {name} must be a non-negative integer; got '{text}'")
    return int(text)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.fc1 = torch.nn.Linear(8 * 14 * 14, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def main():
    torch.set_num_threads(1)
    data_dir = os.environ.get("DATA_DIR") or "/usr/share/datasets/fashion-mnist"
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    epochs, node, nodes = env_int("MAX_EPOCHS", 2), env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    if not 1 <= node <= nodes:
        sys.exit(f"mnist_pyt: NODE_INDEX must be 1..NODE_COUNT ({nodes}); got {node}")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    try:
        x_train, y_train = load(data_dir, "train")
        x_test, y_test = load(data_dir, "t10k")
    except ValueError as e:
        sys.exit(f"mnist_pyt: {e}")
    x_train, y_train = torch.from_numpy(x_train[node - 1::nodes, None]), torch.from_numpy(y_train[node - 1::nodes])
    x_test, y_test = torch.from_numpy(x_test[:, None]), torch.from_numpy(y_test)

    torch.manual_seed(1)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 32), minPeers=env_int("MIN_PEERS", 2),
                          totalEpochs=epochs, useAdaptiveSync=False, lossFunction="CrossEntropyLoss",
                          metricFunction="Accuracy", adsValData=(x_test[:1000], y_test[:1000]), model=model)
    swarm.on_train_begin()
    generator = torch.Generator().manual_seed(node)
    for epoch in range(epochs):
        order = torch.randperm(len(x_train), generator=generator)
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            swarm.on_batch_end()
        swarm.on_epoch_end(epoch)
        swarm.logger.info(f"epoch {epoch + 1}/{epochs}: last batch loss {float(loss):.4f}")
        torch.save(model.state_dict(), os.path.join(scratch_dir, "mnist_pyt_local.pt"))
    swarm.on_train_end()

    with torch.no_grad():
        accuracy = float((model(x_test).argmax(dim=1) == y_test).float().mean())
    torch.save(model.state_dict(), os.path.join(model_dir, "mnist_pyt.pt"))
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "rounds": swarm.rounds, "params_sha256": digest,
                   "train_images": len(x_train)}, f)
    print(f"mnist_pyt: node {node} of {nodes}: test accuracy {accuracy:.4f}, {swarm.rounds} Swarm rounds")


if __name__ == "__main__":
    main()
