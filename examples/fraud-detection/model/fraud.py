"""The fraud-detection example's ML program: a small PyTorch MLP that scores card
transactions, trained with swarmlearning.pyt.SwarmCallback on this node's share of a CSV
in the format of Kaggle's credit-card fraud data set (see fraud_data.py for the split).

Environment, as HPE's example programs read it:
  DATA_DIR           the CSV, or a directory holding creditcard.csv (or exactly one .csv)
  MODEL_DIR          where the final model goes: fraud.pt (the state_dict and the
                     standardization it needs) and result.json (precision, recall, ROC AUC,
                     the parameters' SHA-256); the SL writes fraud_sw.log there too
  SCRATCH_DIR        where the model is saved after each local epoch, fraud_local.pt
                     (default MODEL_DIR)
  MAX_EPOCHS (20), MIN_PEERS (2), NODE_INDEX (1) and NODE_COUNT (1): which share of the
  training rows this node takes, BATCHES_PER_EPOCH (40: the batch size follows from the
  node's row count, so every node syncs at the same pace), SYNC_FREQUENCY (10 batches),
  NODE_WEIGHT (1), MERGE_METHOD (mean), LEARNING_RATE (0.005), SEED (NODE_INDEX: data order)
With SWARM_LOOPBACK=TRUE it trains alone: the local-only baseline.

It reports, for its final model on the test set common to all nodes: precision and recall
of "fraud" at probability 0.5, and the ROC AUC.
"""
import hashlib
import json
import math
import os
import sys

# torch.set_num_threads(1) below does not reach OpenBLAS's own thread pool, whose idle
# threads spin (sched_yield) between batches and take the cores the SLs need at each sync.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import fraud_data  # noqa: E402
from swarmlearning.pyt import SwarmCallback  # noqa: E402

THRESHOLD = 0.5


class ConfigError(Exception):
    pass


def env_int(name, default, minimum=1):
    text = os.environ.get(name) or str(default)
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}; got {text!r}")
    return value


def env_float(name, default):
    text = os.environ.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number; got {text!r}")
    return value


class Net(torch.nn.Module):
    """30 standardized features -> one logit (fraud)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(len(fraud_data.FEATURES), 32)
        self.fc2 = torch.nn.Linear(32, 16)
        self.out = torch.nn.Linear(16, 1)

    def forward(self, x):
        return self.out(torch.relu(self.fc2(torch.relu(self.fc1(x))))).squeeze(-1)


def load(node_index, node_count):
    """(train x, train y, test x, test y, standardizer) for this node."""
    path = fraud_data.csv_path(os.environ.get("DATA_DIR") or "/platform/data")
    x, y = fraud_data.read_csv(path)
    if node_index > node_count:
        raise ConfigError(f"NODE_INDEX must be 1..NODE_COUNT ({node_count}); got {node_index}")
    train, test = fraud_data.split(y, node_index, node_count)
    if y[train].sum() == 0 or y[train].sum() == len(train):
        raise ConfigError(f"{path}: node {node_index} of {node_count} gets {len(train)} training rows with "
                          f"{int(y[train].sum())} frauds; it needs both classes (more rows, or fewer nodes)")
    scale = fraud_data.Standardizer(x[train], y[train])
    return (torch.from_numpy(scale(x[train])), torch.from_numpy(y[train].astype(np.float32)),
            torch.from_numpy(scale(x[test])), y[test], scale)


def evaluate(model, x, y):
    with torch.no_grad():
        score = torch.sigmoid(model(x)).numpy()
    precision, recall = fraud_data.precision_recall(y, (score >= THRESHOLD).astype(np.int64))
    return {"precision": precision, "recall": recall, "auc": fraud_data.roc_auc(y, score)}


def checkpoint(model, scale):
    """The model with what it takes to use it: the input standardization and the threshold."""
    return {"state_dict": model.state_dict(), "features": fraud_data.FEATURES, "log1p": ["Amount"],
            "mean": torch.from_numpy(scale.mean), "std": torch.from_numpy(scale.std), "threshold": THRESHOLD}


def params_sha256(model):
    return hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()


def train():
    torch.set_num_threads(1)
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    epochs = env_int("MAX_EPOCHS", 20)
    node_index, node_count = env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    batches = env_int("BATCHES_PER_EPOCH", 40)
    x_train, y_train, x_test, y_test, scale = load(node_index, node_count)
    frauds = float(y_train.sum())

    torch.manual_seed(0)  # every node starts from the same weights
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=env_float("LEARNING_RATE", 0.005))
    # Frauds weigh as much as all normal rows together, whatever this node's share of them.
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(y_train) - frauds) / frauds))
    swarm = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 10), minPeers=env_int("MIN_PEERS", 2),
                          nodeWeightage=env_int("NODE_WEIGHT", 1),
                          mergeMethod=os.environ.get("MERGE_METHOD") or "mean", totalEpochs=epochs,
                          lossFunction="BCEWithLogitsLoss", model=model)
    swarm.logger.info(f"node {node_index} of {node_count}: {len(y_train)} training rows, {int(frauds)} frauds; "
                      f"test set {len(y_test)} rows, {int(y_test.sum())} frauds")
    generator = torch.Generator().manual_seed(env_int("SEED", node_index))
    batch_size = math.ceil(len(y_train) / batches)
    swarm.on_train_begin()
    for epoch in range(epochs):
        order = torch.randperm(len(y_train), generator=generator)
        total = 0.0
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
            swarm.on_batch_end()
        swarm.on_epoch_end(epoch)
        swarm.logger.info(f"epoch {epoch + 1}/{epochs}: training loss {total / len(order):.4f}")
        torch.save(checkpoint(model, scale), os.path.join(scratch_dir, "fraud_local.pt"))
    swarm.on_train_end()

    result = evaluate(model, x_test, y_test)
    torch.save(checkpoint(model, scale), os.path.join(model_dir, "fraud.pt"))
    result.update(node=node_index, nodes=node_count, train_rows=len(y_train), train_frauds=int(frauds),
                  test_rows=len(y_test), test_frauds=int(y_test.sum()), threshold=THRESHOLD, epochs=epochs,
                  rounds=swarm.rounds, swarm=os.environ.get("SWARM_LOOPBACK") != "TRUE",
                  params_sha256=params_sha256(model))
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"fraud: node {node_index}/{node_count}: precision {result['precision']:.4f} recall {result['recall']:.4f} "
          f"ROC AUC {result['auc']:.4f} on {len(y_test)} test transactions ({int(y_test.sum())} frauds), "
          f"{swarm.rounds} Swarm rounds", flush=True)


def main():
    try:
        train()
    except (fraud_data.CsvError, ConfigError) as e:
        print(f"fraud.py: error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
