"""Unit tests of the Python package: HPE's parameter validation, the built-in metrics,
the parameter views (no copies), the logger's format and SWARM_LOOPBACK.

Run: PYTHONPATH=build/python /usr/bin/python3 python/tests/swarmlearning_test.py
"""
import io
import logging
import os
import unittest

import torch

from swarmlearning import SwarmError, _metrics
from swarmlearning.pyt import SwarmCallback


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))


class ValidationTest(unittest.TestCase):
    def refused(self, message, **kw):
        args = dict(syncFrequency=4, minPeers=2, model=model())
        args.update(kw)
        with self.assertRaises(ValueError) as e:
            SwarmCallback(**args)
        self.assertIn(message, str(e.exception))

    def test_hpe_rules_are_enforced_with_the_parameters_name(self):
        self.refused("syncFrequency is required", syncFrequency=None)
        self.refused("syncFrequency must be a positive integer; got 0", syncFrequency=0)
        self.refused("minPeers must be a positive integer; got -1", minPeers=-1)
        self.refused("minPeers must be a positive integer; got 2.0", minPeers=2.0)
        self.refused("nodeWeightage must be an integer from 1 to 100; got 101", nodeWeightage=101)
        self.refused("mergeMethod must be one of mean, coordmedian, geomedian; got 'avg'", mergeMethod="avg")
        self.refused("checkinModelOnTrainEnd must be one of snapshot, inactive, active", checkinModelOnTrainEnd="x")
        self.refused("swarmlearning.pyt serves mlPlatform 'PYTORCH'", mlPlatform="KERAS")
        self.refused("model is required for PyTorch", model=None)
        self.refused("model must be a torch.nn.Module", model=[1, 2])
        self.refused("useAdaptiveSync needs adsValData", useAdaptiveSync=True)
        self.refused("adsValBatchSize must be a positive integer", adsValBatchSize=0)
        self.refused("totalEpochs must be a positive integer", totalEpochs="3")
        self.refused("lossFunction must name a loss class of torch.nn", lossFunction="Linear")
        self.refused("lossFunctionArgs must be a dict", lossFunction="MSELoss", lossFunctionArgs=["mean"])
        self.refused("metricFunction must be one of Accuracy", metricFunction="AUROC")
        self.refused("average must be one of micro, macro", metricFunction="Accuracy",
                     metricFunctionArgs={"average": "weighted"})
        self.refused("trainingContract must not be empty", trainingContract="")

    def test_unknown_keywords_are_refused(self):
        with self.assertRaises(TypeError):
            SwarmCallback(syncFrequency=4, minPeers=2, model=model(), syncFreq=3)

    def test_valid_options_pass(self):
        cb = SwarmCallback(syncFrequency=4, minPeers=2, model=model(), useAdaptiveSync=True,
                           adsValData=(torch.zeros(8, 4), torch.zeros(8, dtype=torch.long)), adsValBatchSize=4,
                           checkinModelOnTrainEnd="inactive", nodeWeightage=100, mergeMethod="geomedian",
                           totalEpochs=3, lossFunction="CrossEntropyLoss", lossFunctionArgs={"reduction": "mean"},
                           metricFunction="MulticlassF1Score", metricFunctionArgs={"num_classes": 2})
        self.assertEqual(cb.syncFrequency, 4)


class MetricsTest(unittest.TestCase):
    def test_accuracy_and_f1_match_their_definitions(self):
        # Three classes; predictions by argmax of the scores.
        scores = torch.tensor([[9, 0, 0], [0, 9, 0], [0, 9, 0], [0, 0, 9], [9, 0, 0], [0, 0, 9]], dtype=torch.float)
        target = torch.tensor([0, 1, 2, 2, 1, 2])
        acc = _metrics.make("Accuracy", None)
        acc.update(scores[:3], target[:3])  # over two batches
        acc.update(scores[3:], target[3:])
        self.assertAlmostEqual(acc.compute(), 4 / 6)
        macro = _metrics.make("MulticlassAccuracy", {"num_classes": 3})
        macro.update(scores, target)
        self.assertAlmostEqual(macro.compute(), (1 / 1 + 1 / 2 + 2 / 3) / 3)  # per-class recall
        f1 = _metrics.make("MulticlassF1Score", {"task": "multiclass", "num_classes": 3})
        f1.update(scores, target)
        # class 0: tp 1 fp 1 fn 0 -> 2/3; class 1: tp 1 fp 1 fn 1 -> 1/2; class 2: tp 2 fp 0 fn 1 -> 4/5
        self.assertAlmostEqual(f1.compute(), (2 / 3 + 1 / 2 + 4 / 5) / 3)
        micro = _metrics.make("F1Score", None)
        micro.update(scores, target)
        self.assertAlmostEqual(micro.compute(), 4 / 6)

    def test_a_callable_is_averaged_by_batch_size(self):
        m = _metrics.make(lambda out, y: float((out == y).float().mean()), None)
        m.update(torch.tensor([1, 1]), torch.tensor([1, 0]))
        m.update(torch.tensor([3, 3, 3, 3]), torch.tensor([3, 3, 3, 3]))
        self.assertAlmostEqual(m.compute(), (0.5 * 2 + 1.0 * 4) / 6)


class CallbackTest(unittest.TestCase):
    def test_parameter_views_point_into_the_models_own_tensors(self):
        m = model()
        m[0].bias.requires_grad_(False)  # frozen: not exchanged
        cb = SwarmCallback(syncFrequency=4, minPeers=2, model=m)
        views = cb._parameters()
        self.assertEqual([v[0] for v in views], ["0.weight", "2.weight", "2.bias"])
        self.assertEqual(views[0][1:3], ("f32", (3, 4)))
        self.assertEqual(views[0][3], m[0].weight.data_ptr())

    def test_unsupported_parameters_are_named(self):
        m = model().double()
        m[0].weight.data = m[0].weight.data.t()  # not contiguous
        with self.assertRaisesRegex(SwarmError, "parameter 0.weight is not contiguous"):
            SwarmCallback(syncFrequency=4, minPeers=2, model=m)._parameters()
        m = torch.nn.Embedding(3, 2)
        m.weight.requires_grad_(False)
        with self.assertRaisesRegex(SwarmError, "no trainable parameters"):
            SwarmCallback(syncFrequency=4, minPeers=2, model=m)._parameters()

    def test_loopback_trains_without_an_sl_and_logs_in_hpes_format(self):
        stream = io.StringIO()
        logger = logging.getLogger("swarm-test")
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(name)s : %(levelname)s : %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        os.environ["SWARM_LOOPBACK"] = "TRUE"
        os.environ.pop("SWARM_SL_SOCKET", None)
        try:
            m = model()
            before = [p.clone() for p in m.parameters()]
            cb = SwarmCallback(syncFrequency=1, minPeers=3, model=m, logger=logger,
                               adsValData=(torch.zeros(4, 4), torch.zeros(4, dtype=torch.long)))
            cb.on_train_begin()
            for _ in range(3):
                cb.on_batch_end()
            cb.on_epoch_end(0)
            cb.on_train_end()
            self.assertEqual(cb.rounds, 0)
            for a, b in zip(before, m.parameters()):
                self.assertTrue(torch.equal(a, b))
        finally:
            del os.environ["SWARM_LOOPBACK"]
        self.assertIn("swarm-test : INFO : SWARM_LOOPBACK is TRUE", stream.getvalue())

    def test_without_an_sl_the_error_says_what_to_do(self):
        os.environ.pop("SWARM_SL_SOCKET", None)
        cb = SwarmCallback(syncFrequency=1, minPeers=1, model=model())
        with self.assertRaisesRegex(SwarmError, "SWARM_SL_SOCKET is not set"):
            cb.on_train_begin()

    def test_default_logger_uses_hpes_format(self):
        cb = SwarmCallback(syncFrequency=1, minPeers=1, model=model())
        self.assertEqual(cb.logger.name, "SwarmCallback")
        self.assertEqual(cb.logger.handlers[0].formatter._fmt, "%(asctime)s : %(name)s : %(levelname)s : %(message)s")
        self.assertIs(SwarmCallback(syncFrequency=1, minPeers=1, model=model()).logger, cb.logger)
        self.assertEqual(len(cb.logger.handlers), 1)


if __name__ == "__main__":
    unittest.main()
