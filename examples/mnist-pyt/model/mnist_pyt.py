"""MNIST-PYT with Swarm Learning: a small PyTorch CNN that learns handwritten digits on this
node's part of MNIST, joining the other nodes' training through its SL (SwarmCallback).

It reads its settings from the environment, as HPE's example programs do:

  DATA_DIR      the four gzipped MNIST IDX files: train-images-idx3-ubyte.gz,
                train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
                t10k-labels-idx1-ubyte.gz. Default: /usr/share/datasets/fashion-mnist, the
                Fashion-MNIST files of Debian's dataset-fashion-mnist, the same format (MNIST
                itself is not packaged).
  MODEL_DIR     where the final Swarm model (mnist_pyt.pt, a state_dict) and result.json
                go; SwarmCallback also writes the SL's log for the user, mnist_pyt_sw.log,
                there. Default: the working directory.
  SCRATCH_DIR   where the local model is saved after each epoch (mnist_pyt_epochE.pt).
                Default: MODEL_DIR.
  MAX_EPOCHS    local epochs (default 2)
  MIN_PEERS     nodes a sync round waits for (default 2)
  SYNC_FREQUENCY  batches between sync rounds (default 32)
  NODE_INDEX, NODE_COUNT  this node's part of the training images: every NODE_COUNT-th
                image, from the NODE_INDEX-th (1-based). Default 1 of 1, all of them.

Run alone, without an SL: SWARM_LOOPBACK=TRUE /usr/bin/python3 mnist_pyt.py
"""
import gzip
import json
import os
import struct
import sys

# torch.set_num_threads(1) below does not reach OpenBLAS's own thread pool, whose idle
# threads spin (sched_yield) between batches and take the cores the SLs need at each sync.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from swarmlearning.pyt import SwarmCallback  # noqa: E402

BATCH = 64
VALIDATION = 500  # at most this many (a tenth of this node's part) kept for SwarmCallback's
# per-epoch validation loss and metric


class Net(torch.nn.Module):
    """Two convolutions and two linear layers; about 100k parameters."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = torch.nn.Linear(32 * 7 * 7, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def read_idx(path):
    """The array of one gzipped IDX file of unsigned bytes; ValueError naming the file if not."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"{path}: cannot read it as a gzipped IDX file ({e})") from None
    magic = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else 0
    dims = magic & 0xFF
    if magic >> 8 != 0x08 or dims not in (1, 3) or len(data) < 4 + 4 * dims:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes with 1 or 3 dimensions")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {array.size} values, but the header says {'x'.join(map(str, shape))}")
    return array.reshape(shape)


def load(data_dir, prefix):
    """(images [N, 1, 28, 28] float32 in [0, 1], labels [N] int64) of `prefix`: train or t10k."""
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{data_dir}: {prefix} images {x.shape} do not match labels {y.shape}")
    return torch.from_numpy(x[:, None].astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def env_int(name, default, low=1):
    text = os.environ.get(name) or str(default)
    if not text.isdigit() or int(text) < low:
        sys.exit(f"mnist_pyt: {name} must be an integer >= {low}; got '{text}'")
    return int(text)


def main():
    torch.set_num_threads(1)  # several nodes share this machine's cores
    data_dir = os.environ.get("DATA_DIR") or "/usr/share/datasets/fashion-mnist"
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    epochs, min_peers = env_int("MAX_EPOCHS", 2), env_int("MIN_PEERS", 2)
    sync_frequency = env_int("SYNC_FREQUENCY", 32)
    node, nodes = env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    if node > nodes:
        sys.exit(f"mnist_pyt: NODE_INDEX must be 1..NODE_COUNT ({nodes}); got {node}")
    try:
        x_train, y_train = load(data_dir, "train")
        x_test, y_test = load(data_dir, "t10k")
    except ValueError as e:
        sys.exit(f"mnist_pyt: {e}")
    x_part, y_part = x_train[node - 1::nodes], y_train[node - 1::nodes]
    held_out = min(VALIDATION, len(x_part) // 10)
    if len(x_part) - held_out < BATCH:
        sys.exit(f"mnist_pyt: node {node} of {nodes} gets {len(x_part)} of the {len(x_train)} training images "
                 f"in {data_dir}; it needs at least {BATCH + held_out}")
    x_val, y_val = x_part[len(x_part) - held_out:], y_part[len(x_part) - held_out:]
    x_part, y_part = x_part[:len(x_part) - held_out], y_part[:len(x_part) - held_out]
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    print(f"mnist_pyt: node {node} of {nodes}: {len(x_part)} training images from {data_dir}", flush=True)

    torch.manual_seed(1)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm_callback = SwarmCallback(syncFrequency=sync_frequency, minPeers=min_peers, totalEpochs=epochs,
                                   useAdaptiveSync=False, adsValData=(x_val, y_val),
                                   lossFunction="CrossEntropyLoss", metricFunction="Accuracy", model=model)
    swarm_callback.on_train_begin()
    shuffle = torch.Generator().manual_seed(node)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_part), generator=shuffle)
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(x_part[batch]), y_part[batch])
            loss.backward()
            optimizer.step()
            swarm_callback.on_batch_end()
        swarm_callback.on_epoch_end(epoch)
        model.eval()
        swarm_callback.logger.info(f"epoch {epoch + 1}/{epochs}: last batch loss {float(loss):.4f}, "
                                   f"validation accuracy {accuracy(model, x_val, y_val):.4f}")
        torch.save(model.state_dict(), os.path.join(scratch_dir, f"mnist_pyt_epoch{epoch + 1}.pt"))
    swarm_callback.on_train_end()  # the final Swarm model is now in `model`

    model.eval()
    test_accuracy = accuracy(model, x_test, y_test)
    torch.save(model.state_dict(), os.path.join(model_dir, "mnist_pyt.pt"))
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump({"node": node, "test_accuracy": test_accuracy, "test_images": len(y_test),
                   "rounds": swarm_callback.rounds, "epochs": epochs, "train_images": len(x_part)}, f)
    print(f"mnist_pyt: node {node} of {nodes}: test accuracy {test_accuracy:.4f} on {len(y_test)} images, "
          f"{swarm_callback.rounds} Swarm rounds; model {os.path.join(model_dir, 'mnist_pyt.pt')}", flush=True)


if __name__ == "__main__":
    main()
