"""Metrics for metricFunction. HPE names a torchmetrics class; torchmetrics is not packaged
here, so the common classification metrics are built in (multiclass, from logits or
class scores of shape [N, C] and integer targets of shape [N]), and any callable
f(outputs, targets) -> number is accepted as well."""
import torch

_AVERAGES = ("micro", "macro")


def _grow(t, n):
    return t if len(t) >= n else torch.cat([t, torch.zeros(n - len(t), dtype=t.dtype)])


class _Metric:
    """Per-class true positives, false positives and false negatives over all batches;
    compute() returns a float. Outputs are scores [N, C] (argmax is the prediction) or
    predicted labels [N]; targets are labels [N]."""

    def __init__(self, num_classes=None, average="micro", **unused):
        if average not in _AVERAGES:
            raise ValueError(f"metricFunctionArgs: average must be one of {', '.join(_AVERAGES)}; got {average!r}")
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(f"metricFunctionArgs: num_classes must be an integer >= 2; got {num_classes!r}")
        self.average = average
        n = num_classes or 0
        self.tp, self.fp, self.fn = (torch.zeros(n, dtype=torch.float64) for _ in range(3))

    def update(self, outputs, targets):
        outputs, targets = outputs.detach().cpu(), targets.detach().cpu().long().reshape(-1)
        preds = outputs.argmax(dim=-1) if outputs.dim() > 1 else outputs.long()
        n = max(len(self.tp), outputs.shape[-1] if outputs.dim() > 1 else 0,
                int(preds.max()) + 1 if len(preds) else 0, int(targets.max()) + 1 if len(targets) else 0)
        self.tp, self.fp, self.fn = (_grow(t, n) for t in (self.tp, self.fp, self.fn))
        hit = preds == targets
        one = lambda mask: torch.ones(int(mask.sum()), dtype=torch.float64)
        self.tp.index_add_(0, targets[hit], one(hit))
        self.fp.index_add_(0, preds[~hit], one(~hit))
        self.fn.index_add_(0, targets[~hit], one(~hit))


class Accuracy(_Metric):
    def compute(self):
        if self.average == "micro":
            total = self.tp.sum() + self.fn.sum()
            return float(self.tp.sum() / total) if total > 0 else 0.0
        support = self.tp + self.fn
        present = support > 0
        return float((self.tp[present] / support[present]).mean()) if present.any() else 0.0


class F1Score(_Metric):
    def compute(self):
        if self.average == "micro":
            tp, fp, fn = self.tp.sum(), self.fp.sum(), self.fn.sum()
            return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn > 0 else 0.0
        denom = 2 * self.tp + self.fp + self.fn
        present = denom > 0
        return float((2 * self.tp[present] / denom[present]).mean()) if present.any() else 0.0


class _Callable:
    """A user function, averaged over batches weighted by batch size."""

    def __init__(self, fn, **kwargs):
        self.fn, self.kwargs, self.total, self.count = fn, kwargs, 0.0, 0

    def update(self, outputs, targets):
        n = len(targets)
        self.total += float(self.fn(outputs, targets, **self.kwargs)) * n
        self.count += n

    def compute(self):
        return self.total / self.count if self.count else 0.0


BUILT_IN = {
    "Accuracy": (Accuracy, "micro"),
    "MulticlassAccuracy": (Accuracy, "macro"),
    "F1Score": (F1Score, "micro"),
    "MulticlassF1Score": (F1Score, "macro"),
}


def make(metric, args):
    """A fresh accumulator for metricFunction (a name from BUILT_IN or a callable)."""
    args = dict(args or {})
    args.pop("task", None)  # torchmetrics' task="multiclass": the only task here
    if callable(metric):
        return _Callable(metric, **args)
    cls, average = BUILT_IN[metric]
    args.setdefault("average", average)
    return cls(**args)
