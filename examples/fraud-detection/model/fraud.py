"""The fraud-detection ML program: a small PyTorch MLP scoring card transactions, trained
with Swarm Learning on this node's biased share of a Kaggle-format credit-card CSV.

Environment, as HPE's example programs read it:
  DATA_DIR      the CSV (Kaggle's creditcard.csv format), or a directory holding it
  MODEL_DIR     where the final model (fraud.pt) and result.json (precision, recall, AUC) go
  SCRATCH_DIR   where the local model is saved after each epoch (default MODEL_DIR)
  MAX_EPOCHS (5), MIN_PEERS (2), SYNC_FREQUENCY (8 batches), BATCHES_PER_EPOCH (40: every
                node takes the same number of steps, however many rows it holds, so that
                nodes with little data do not finish long before the others)
  NODE_INDEX, NODE_COUNT   which share of the training rows this node holds (fraud_data.split)
With SWARM_LOOPBACK=TRUE it trains alone: the local-only baseline.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

from fraud_data import CsvError, Standardizer, csv_path, precision_recall, read_csv, roc_auc, split
from swarmlearning.pyt import SwarmCallback


def env_int(name, default):
    text = os.environ.get(name) or str(default)
    if not text.isdigit():
        sys.exit(f"fraud: {name} must be a non-negative integer; got '{text}'")
    return int(text)


def main():
    torch.set_num_threads(1)
    model_dir = os.environ.get("MODEL_DIR") or "."
    scratch_dir = os.environ.get("SCRATCH_DIR") or model_dir
    epochs, node, nodes = env_int("MAX_EPOCHS", 5), env_int("NODE_INDEX", 1), env_int("NODE_COUNT", 1)
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(scratch_dir, exist_ok=True)
    try:
        x, y = read_csv(csv_path(os.environ.get("DATA_DIR") or "."))
        train, test = split(y, node, nodes)
    except (CsvError, ValueError) as e:
        sys.exit(f"fraud: {e}")
    scale = Standardizer(x[train], y[train])
    x_train, y_train = torch.from_numpy(scale(x[train])), torch.from_numpy(y[train].astype(np.float32))
    x_test, y_test = torch.from_numpy(scale(x[test])), y[test]

    torch.manual_seed(1)  # every node starts from the same weights
    model = torch.nn.Sequential(torch.nn.Linear(30, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    # Frauds are rare and their share differs by node: weigh them up to balance the classes.
    frauds = max(1.0, float(y_train.sum()))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(y_train) - frauds) / frauds))
    swarm = SwarmCallback(syncFrequency=env_int("SYNC_FREQUENCY", 8), minPeers=env_int("MIN_PEERS", 2),
                          totalEpochs=epochs, lossFunction="BCEWithLogitsLoss", model=model)
    steps = env_int("BATCHES_PER_EPOCH", 40)
    swarm.on_train_begin()
    generator = torch.Generator().manual_seed(node)
    for epoch in range(epochs):
        for _ in range(steps):
            batch = torch.randint(len(x_train), (128,), generator=generator)
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]).squeeze(1), y_train[batch])
            loss.backward()
            optimizer.step()
            swarm.on_batch_end()
        swarm.on_epoch_end(epoch)
        torch.save(model.state_dict(), os.path.join(scratch_dir, "fraud_local.pt"))
    swarm.on_train_end()

    with torch.no_grad():
        scores = torch.sigmoid(model(x_test).squeeze(1)).numpy()
    precision, recall = precision_recall(y_test, scores >= 0.5)
    auc = roc_auc(y_test, scores)
    torch.save(model.state_dict(), os.path.join(model_dir, "fraud.pt"))
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
    result = {"precision": precision, "recall": recall, "auc": auc, "rounds": swarm.rounds,
              "train_rows": int(len(train)), "train_frauds": int(y[train].sum()), "params_sha256": digest}
    with open(os.path.join(model_dir, "result.json"), "w") as f:
        json.dump(result, f)
    print(f"fraud: node {node} of {nodes} ({len(train)} rows, {int(y[train].sum())} frauds): precision "
          f"{precision:.3f}, recall {recall:.3f}, AUC {auc:.4f}, {swarm.rounds} Swarm rounds")


if __name__ == "__main__":
    main()
