"""The demo's ML program: a small Fashion-MNIST classifier with swarmlearning.pyt.SwarmCallback,
trained on the classes NODE_CLASSES names (a non-IID shard). The end-to-end tests run it
too (tests/sl/fashion_mnist_test.py); its C++ twin examples/cpp-libtorch/fashion_mnist_torch.cc follows
the same contract and, given the same environment, computes the same model.

Environment, as HPE's example programs read it:
  DATA_DIR        the gzipped IDX files (default /usr/share/datasets/fashion-mnist)
  MODEL_DIR       where result.json, final_params.bin (raw f32 parameters, in order) and
                  fashion_mnist.pt (the model's state_dict) are written
  MAX_EPOCHS (2), MIN_PEERS (2), SYNC_FREQUENCY (50 batches), NODE_WEIGHT (1),
  MERGE_METHOD (mean), SEED (1: data order), NODE_CLASSES (labels this node trains on,
  e.g. "0,1,2,3"; default all), USE_ADAPTIVE_SYNC (0), PROGRESS_EVERY (0: every N batches
  print "progress: epoch E/T batch B/N loss L accuracy A", the averages since the last line)
With SWARM_LOOPBACK=TRUE it trains alone: the local-only baseline.
"""
import gzip
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


def env_int(name, default):
    return int(os.environ.get(name) or default)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    if magic >> 8 != 0x08 or dims not in (1, 3):
        sys.exit(f"{path}: not an IDX file of unsigned bytes (magic {magic:#x})")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if array.size != int(np.prod(shape)):
        sys.exit(f"{path}: {array.size} values, the header says {shape}")
    return array.reshape(shape)


def load(data_dir, prefix):
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    torch.set_num_threads(1)
    data_dir = os.environ.get("DATA_DIR") or "/usr/share/datasets/fashion-mnist"
    model_dir = os.environ.get("MODEL_DIR") or "."
    os.makedirs(model_dir, exist_ok=True)
    epochs = env_int("MAX_EPOCHS", 2)
    classes = [int(c) for c in os.environ.get("NODE_CLASSES", "0,1,2,3,4,5,6,7,8,9").split(",")]

    x_train, y_train = load(data_dir, "train")
    x_test, y_test = load(data_dir, "t10k")
    mine = torch.isin(y_train, torch.tensor(classes))
    x_train, y_train = x_train[mine], y_train[mine]

    torch.manual_seed(0)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    swarm = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 50), minPeers=env_int("MIN_PEERS", 2),
                          nodeWeightage=env_int("NODE_WEIGHT", 1),
                          mergeMethod=os.environ.get("MERGE_METHOD") or "mean",
                          useAdaptiveSync=env_int("USE_ADAPTIVE_SYNC", 0) == 1,
                          adsValData=(x_test[:2000], y_test[:2000]), adsValBatchSize=500,
                          totalEpochs=epochs, lossFunction="CrossEntropyLoss", metricFunction="Accuracy",
                          model=model)
    generator = torch.Generator().manual_seed(env_int("SEED", 1))
    began = time.monotonic()
    swarm.on_train_begin()
    progress_every = env_int("PROGRESS_EVERY", 0)
    for epoch in range(epochs):
        order = torch.randperm(len(x_train), generator=generator)
        batches = (len(order) + 63) // 64
        total, window_loss, window_right, window_n = 0.0, 0.0, 0, 0
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            out = model(x_train[batch])
            loss = loss_fn(out, y_train[batch])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
            swarm.on_batch_end()
            if progress_every:
                window_loss += float(loss) * len(batch)
                window_right += int((out.argmax(dim=1) == y_train[batch]).sum())
                window_n += len(batch)
                b = i // 64 + 1
                if b % progress_every == 0 or b == batches:
                    print(f"progress: epoch {epoch + 1}/{epochs} batch {b}/{batches} loss {window_loss / window_n:.4f} "
                          f"accuracy {window_right / window_n:.4f}", flush=True)
                    window_loss, window_right, window_n = 0.0, 0, 0
        swarm.on_epoch_end(epoch)
        swarm.logger.info(f"epoch {epoch + 1}/{epochs}: training loss {total / len(order):.4f}")
    swarm.on_train_end()
    train_seconds = time.monotonic() - began  # the training loop with its syncs, from the first batch

    with torch.no_grad():
        accuracy = float((model(x_test).argmax(dim=1) == y_test).float().mean())
    with open(os.path.join(model_dir, "final_params.bin"), "wb") as f:
        for _, p in model.named_parameters():
            f.write(p.detach().numpy().tobytes())
    torch.save(model.state_dict(), os.path.join(model_dir, "fashion_mnist.pt"))
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "epochs": epochs, "rounds": swarm.rounds,
                   "train_seconds": round(train_seconds, 3)}, f)
    print(f"fashion_mnist: classes {classes}, test accuracy {accuracy:.4f}, {swarm.rounds} Swarm rounds")


if __name__ == "__main__":
    main()
