"""The Fashion-MNIST example's ML program: a small convolutional classifier trained with
Swarm Learning through swarmlearning.pyt.SwarmCallback (our counterpart of the PyTorch
program of HPE's MNIST examples). In this example a SWOP starts it, through its SL, as the
task swarm_fmnist_task says (Entrypoint /usr/bin/python3, Command model/fmnist.py, the
task's Envvars and the profile node's usrenvvars); an SL can also start it directly
(`swarm sl --ml-entrypoint /usr/bin/python3 --ml-cmd fmnist.py --ml-e KEY=VALUE ...`).

Environment, as HPE's example programs read it:
  DATA_DIR        the gzipped IDX files of Fashion-MNIST (default /usr/share/datasets/fashion-mnist)
  MODEL_DIR       where the final Swarm model goes: fmnist_pyt.pt (a state_dict) and
                  result.json (default ./model); the SL writes fmnist_sw.log here too
  SCRATCH_DIR     this node's private scratch area: the local model after every epoch,
                  fmnist_pyt_epoch<E>.pt (default MODEL_DIR)
  MAX_EPOCHS      local epochs (default 5)
  MIN_PEERS       SL peers every sync round needs (default 2)
and for this example:
  NODE_INDEX, NODE_COUNT  this node is NODE_INDEX of NODE_COUNT (1-based; default 1 of 1):
                  it trains on its own disjoint part of the 60,000 training images
  SYNC_FREQUENCY  batches between sync rounds (default 32)
  BATCH_SIZE (64), MERGE_METHOD (mean), NODE_WEIGHT (1), USE_ADAPTIVE_SYNC (0 or 1)
With SWARM_LOOPBACK=TRUE it trains alone, without Swarm.
"""
import gzip
import hashlib
import json
import os
import struct
import sys
import time

# torch.set_num_threads(1) below does not reach OpenBLAS's own thread pool, whose idle
# threads spin (sched_yield) between batches and take the cores the SLs need at each sync.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from swarmlearning.pyt import SwarmCallback  # noqa: E402

NAME = "fmnist_pyt"
PART_SEED = 20231  # the same permutation on every node, so that the parts are disjoint


class ConfigError(Exception):
    pass


def env_int(name, default, low=1):
    text = os.environ.get(name) or str(default)
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer; got {text!r}") from None
    if value < low:
        raise ConfigError(f"{name} must be at least {low}; got {value}")
    return value


def read_idx(path):
    """An IDX file of unsigned bytes (1 or 3 dimensions) as a numpy array."""
    if not os.path.isfile(path):
        raise ConfigError(f"{path} is missing: DATA_DIR must hold the gzipped Fashion-MNIST IDX files "
                          "(the Debian package dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist)")
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    if magic >> 8 != 0x08 or dims not in (1, 3):
        raise ConfigError(f"{path}: not an IDX file of unsigned bytes (magic {magic:#x})")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if array.size != int(np.prod(shape)):
        raise ConfigError(f"{path}: {array.size} values, the header says {shape}")
    return array.reshape(shape)


def load(data_dir, prefix):
    """(images [N, 1, 28, 28] in [0, 1], labels [N])."""
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if len(x) != len(y):
        raise ConfigError(f"{data_dir}: {len(x)} {prefix} images but {len(y)} labels")
    return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def my_part(n, index, count):
    """Indices of node `index` (1-based) of `count`: a slice of one fixed random permutation."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(PART_SEED))
    return order[(index - 1) * n // count:index * n // count]


class FashionNet(torch.nn.Module):
    """Two small convolutions and two dense layers; no batch norm, so that every node's
    state_dict is only the trainable parameters Swarm merges."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3)  # 28 -> 26, pooled to 13
        self.conv2 = torch.nn.Conv2d(16, 32, 3)  # 13 -> 11, pooled to 5
        self.fc1 = torch.nn.Linear(32 * 5 * 5, 128)
        self.fc2 = torch.nn.Linear(128, 10)
        self.dropout = torch.nn.Dropout(0.25)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = self.dropout(torch.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)


def accuracy(model, x, y, batch=1000):
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            right += int((model(x[i:i + batch]).argmax(dim=1) == y[i:i + batch]).sum())
    model.train()
    return right / len(x)


def params_digest(model):
    """SHA-256 over the trainable parameters' bytes, in order: equal on nodes with equal models."""
    h = hashlib.sha256()
    for _, p in model.named_parameters():
        h.update(p.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def main():
    torch.set_num_threads(1)  # the nodes share the machine's cores
    data_dir = os.environ.get("DATA_DIR") or "/usr/share/datasets/fashion-mnist"
    # Absolute, so that this program and its SL (which writes fmnist_sw.log here) agree.
    model_dir = os.path.abspath(os.environ.get("MODEL_DIR") or "model")
    os.environ["MODEL_DIR"] = model_dir
    scratch_dir = os.path.abspath(os.environ.get("SCRATCH_DIR") or model_dir)
    epochs = env_int("MAX_EPOCHS", 5)
    min_peers = env_int("MIN_PEERS", 2)
    node_count = env_int("NODE_COUNT", 1)
    node_index = env_int("NODE_INDEX", 1)
    if node_index > node_count:
        raise ConfigError(f"NODE_INDEX must be between 1 and NODE_COUNT ({node_count}); got {node_index}")
    batch_size = env_int("BATCH_SIZE", 64)
    for d in (model_dir, scratch_dir):
        os.makedirs(d, exist_ok=True)

    x_all, y_all = load(data_dir, "train")
    x_test, y_test = load(data_dir, "t10k")
    mine = my_part(len(x_all), node_index, node_count)
    # This node's own validation data (for SwarmCallback's loss and metric): 5 % of its part.
    n_val = max(1, len(mine) // 20)
    x_val, y_val = x_all[mine[:n_val]], y_all[mine[:n_val]]
    x_train, y_train = x_all[mine[n_val:]], y_all[mine[n_val:]]
    print(f"fmnist: node {node_index} of {node_count}: {len(x_train)} training and {len(x_val)} validation "
          f"images of the {len(x_all)}; {epochs} epochs, batch {batch_size}", flush=True)

    torch.manual_seed(0)  # every node starts from the same weights
    model = FashionNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm_callback = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 32), minPeers=min_peers,
                                   useAdaptiveSync=env_int("USE_ADAPTIVE_SYNC", 0, low=0) == 1,
                                   adsValData=(x_val, y_val), adsValBatchSize=500,
                                   nodeWeightage=env_int("NODE_WEIGHT", 1),
                                   mergeMethod=os.environ.get("MERGE_METHOD") or "mean",
                                   totalEpochs=epochs, lossFunction="CrossEntropyLoss",
                                   metricFunction="Accuracy", model=model)

    started = time.monotonic()
    shuffle = torch.Generator().manual_seed(node_index)
    swarm_callback.on_train_begin()
    for epoch in range(epochs):
        order = torch.randperm(len(x_train), generator=shuffle)
        total = 0.0
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
            swarm_callback.on_batch_end()
        swarm_callback.on_epoch_end(epoch)
        torch.save(model.state_dict(), os.path.join(scratch_dir, f"{NAME}_epoch{epoch + 1}.pt"))
        swarm_callback.logger.info(f"epoch {epoch + 1}/{epochs}: training loss {total / len(order):.4f}, "
                                   f"validation accuracy {accuracy(model, x_val, y_val):.4f}")
    swarm_callback.on_train_end()  # the final Swarm model is now in `model`

    test_accuracy = accuracy(model, x_test, y_test)
    model_path = os.path.join(model_dir, f"{NAME}.pt")
    torch.save(model.state_dict(), model_path)
    result = {"node_index": node_index, "node_count": node_count, "train_samples": len(x_train), "epochs": epochs,
              "rounds": swarm_callback.rounds, "test_accuracy": test_accuracy, "params_sha256": params_digest(model),
              "seconds": round(time.monotonic() - started, 1)}
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"fmnist: node {node_index}: test accuracy {test_accuracy:.4f} on the {len(x_test)} test images "
          f"after {swarm_callback.rounds} Swarm rounds; final model saved to {model_path}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except ConfigError as e:
        sys.exit(f"fmnist: {e}")
