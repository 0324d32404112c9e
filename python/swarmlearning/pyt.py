"""Swarm Learning for PyTorch programs, with HPE Swarm Learning's interface:

    from swarmlearning.pyt import SwarmCallback

    swarmCallback = SwarmCallback(syncFrequency=128, minPeers=2, totalEpochs=epochs,
                                  lossFunction="CrossEntropyLoss", metricFunction="Accuracy",
                                  adsValData=(x_val, y_val), model=model)
    swarmCallback.on_train_begin()
    for epoch in range(epochs):
        for x, y in loader:
            ...  # forward, backward, optimizer.step()
            swarmCallback.on_batch_end()
        swarmCallback.on_epoch_end(epoch)
    swarmCallback.on_train_end()   # the final Swarm model is now in `model`

At each sync point the model's trainable parameters go to this node's SL, and the merged
ones are written back into the same tensors (no copies on the Python side).
"""
import os
import sys

import torch

from swarmlearning import _logging, _metrics, _native
from swarmlearning._native import SwarmError  # noqa: F401

_DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.float16: "f16", torch.bfloat16: "bf16"}
_DEFAULT_CONTRACT = "defaultbb.cqdb.sml.hpe"


def _positive_int(name, value, required=False):
    if value is None:
        if required:
            raise ValueError(f"{name} is required: a positive integer")
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def _string(name, value):
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string; got {value!r}")


def _loss_class(name):
    cls = getattr(torch.nn, name, None) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module) and name.endswith("Loss")):
        raise ValueError(f"lossFunction must name a loss class of torch.nn, such as 'CrossEntropyLoss' or "
                         f"'MSELoss'; got {name!r}")
    return cls


class SwarmCallback:
    """Takes part in Swarm Learning from a PyTorch training loop; see the module's doc."""

    def __init__(self, syncFrequency=None, minPeers=None, trainingContract=_DEFAULT_CONTRACT,
                 useAdaptiveSync=False, adsValData=None, adsValBatchSize=None, checkinModelOnTrainEnd="snapshot",
                 nodeWeightage=1, mlPlatform="PYTORCH", mergeMethod="mean", logger=None, totalEpochs=None,
                 lossFunction=None, lossFunctionArgs=None, metricFunction=None, metricFunctionArgs=None,
                 model=None):
        self.logger = logger if logger is not None else _logging.default_logger()
        _positive_int("syncFrequency", syncFrequency, required=True)
        _positive_int("minPeers", minPeers, required=True)
        _positive_int("adsValBatchSize", adsValBatchSize)
        _positive_int("totalEpochs", totalEpochs)
        _positive_int("nodeWeightage", nodeWeightage)
        for name, value in (("trainingContract", trainingContract), ("checkinModelOnTrainEnd", checkinModelOnTrainEnd),
                            ("mlPlatform", mlPlatform), ("mergeMethod", mergeMethod)):
            _string(name, value)
        if not isinstance(useAdaptiveSync, bool):
            raise ValueError(f"useAdaptiveSync must be True or False; got {useAdaptiveSync!r}")
        if mlPlatform != "PYTORCH":
            raise ValueError(f"swarmlearning.pyt serves mlPlatform 'PYTORCH'; got {mlPlatform!r}")
        if model is None:
            raise ValueError("model is required for PyTorch: pass model=<the torch.nn.Module being trained>")
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        if useAdaptiveSync and adsValData is None:
            raise ValueError("useAdaptiveSync needs adsValData: an (x_val, y_val) tuple or a generator of batches")
        if adsValData is not None and not (isinstance(adsValData, (tuple, list)) and len(adsValData) == 2
                                           or hasattr(adsValData, "__iter__")):
            raise ValueError("adsValData must be an (x_val, y_val) tuple or a generator of (x, y) batches")
        for name, value in (("lossFunctionArgs", lossFunctionArgs), ("metricFunctionArgs", metricFunctionArgs)):
            if value is not None and not isinstance(value, dict):
                raise ValueError(f"{name} must be a dict of keyword arguments; got {value!r}")
        if lossFunction is None and useAdaptiveSync:
            lossFunction = "CrossEntropyLoss"
            self.logger.warning("useAdaptiveSync without lossFunction: judging rounds by CrossEntropyLoss")
        self._loss = _loss_class(lossFunction)(**(lossFunctionArgs or {})) if lossFunction is not None else None
        if metricFunction is not None and not callable(metricFunction) and metricFunction not in _metrics.BUILT_IN:
            raise ValueError(f"metricFunction must be one of {', '.join(_metrics.BUILT_IN)} or a callable "
                             f"f(outputs, targets); got {metricFunction!r}")
        self._metric, self._metric_args = metricFunction, metricFunctionArgs
        if metricFunction is not None:
            _metrics.make(metricFunction, metricFunctionArgs)  # checks the arguments now
        self.model = model
        self._val = adsValData
        self._val_batch = adsValBatchSize
        options = dict(syncFrequency=syncFrequency, minPeers=minPeers, trainingContract=trainingContract,
                       useAdaptiveSync=useAdaptiveSync, checkinModelOnTrainEnd=checkinModelOnTrainEnd,
                       nodeWeightage=nodeWeightage, mlPlatform=mlPlatform, mergeMethod=mergeMethod,
                       totalEpochs=totalEpochs or 0, programName=_program_name(),
                       modelDir=os.environ.get("MODEL_DIR") or os.getcwd())
        self._loopback = os.environ.get("SWARM_LOOPBACK") == "TRUE"
        self._cb = _native.Callback(options, self._parameters, _logging.sink(self.logger),
                                    self._validation_loss if useAdaptiveSync else None)
        if self._loopback:
            self.logger.info("SWARM_LOOPBACK is TRUE: training locally, without Swarm")

    # --- HPE's hooks -----------------------------------------------------------------

    def on_train_begin(self):
        self._cb.on_train_begin()

    def on_batch_end(self, batch=None):
        self._cb.on_batch_end()

    def on_epoch_end(self, epoch=None):
        if epoch is None:
            raise ValueError("on_epoch_end needs the epoch number (0-based)")
        if not self._loopback and self._val is not None:
            loss, metric = self._evaluate()
            self._cb.set_loss(loss, metric)
            self.logger.debug(f"epoch {epoch}: validation loss {loss:.4f}, metric {metric:.4f}")
        self._cb.on_epoch_end(int(epoch))

    def on_train_end(self):
        self._cb.on_train_end()

    @property
    def rounds(self):
        """Sync rounds whose merged model was loaded."""
        return self._cb.rounds

    @property
    def syncFrequency(self):
        """Batches between sync rounds now (adaptive sync changes it)."""
        return self._cb.sync_frequency

    # --- internals ---------------------------------------------------------------------

    def _parameters(self):
        views = []
        for name, p in self.model.named_parameters():
            if not p.requires_grad:
                continue
            if p.device.type != "cpu":
                raise SwarmError(f"parameter {name} is on {p.device}; this release exchanges CPU tensors: "
                                 f"train on the CPU or move the model with model.cpu() before syncing")
            if not p.is_contiguous():
                raise SwarmError(f"parameter {name} is not contiguous; make it so with p.data = p.data.contiguous()")
            if p.dtype not in _DTYPES:
                raise SwarmError(f"parameter {name} has dtype {p.dtype}; Swarm merges float32, float64, "
                                 f"float16 and bfloat16")
            views.append((name, _DTYPES[p.dtype], tuple(p.shape), p.data_ptr()))
        if not views:
            raise SwarmError("the model has no trainable parameters (none with requires_grad)")
        return views

    def _batches(self):
        if isinstance(self._val, (tuple, list)) and len(self._val) == 2 and torch.is_tensor(self._val[0]):
            x, y = self._val
            step = self._val_batch or len(x)
            return [(x[i:i + step], y[i:i + step]) for i in range(0, len(x), step)]
        if iter(self._val) is self._val:  # a generator: keep its batches for the next rounds
            self._val = list(self._val)
        return self._val

    def _evaluate(self):
        """(loss, metric) of the model on adsValData; 0 for what was not configured."""
        device = next(self.model.parameters()).device
        metric = _metrics.make(self._metric, self._metric_args) if self._metric is not None else None
        was_training = self.model.training
        self.model.eval()
        total, count = 0.0, 0
        try:
            with torch.no_grad():
                for x, y in self._batches():
                    x, y = x.to(device), y.to(device)
                    out = self.model(x)
                    if self._loss is not None:
                        total += float(self._loss(out, y)) * len(y)
                    count += len(y)
                    if metric is not None:
                        metric.update(out, y)
        finally:
            self.model.train(was_training)
        loss = total / count if count and self._loss is not None else 0.0
        return loss, metric.compute() if metric is not None else 0.0

    def _validation_loss(self):
        return self._evaluate()[0]


def _program_name():
    """Names the SL's log for this program (<name>_sw.log): the script's name."""
    main = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "ml"
    return os.path.splitext(main)[0] or "ml"
