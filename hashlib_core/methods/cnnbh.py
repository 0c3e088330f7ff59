"""CNN Based Hashing (Guo & Li 2015): train a classifier, hash by the signs of its first fully connected layer.

Introduced in the CNN Based Hashing chapter. The method, as a
:class:`~hashlib_core.experiment.DeepHashingMethod`: the paper's networks
(:mod:`hashlib_core.nets.cnnbh`), trained with softmax cross-entropy on the
class labels; the code of an image is the signs of the knob layer ``H<bits>``
(Sec. 3, threshold 0). The paper's studies (Table 3, the signs experiment)
are in :mod:`hashlib_core.studies.cnnbh`.

Profiles: ``smoke`` (the embedded MNIST subset, seconds), ``paper`` (MNIST and
CIFAR-10 at 12/24/32/48 bits, CIFAR-10 with 600 epochs, within two hours on 2
CPU cores), ``long`` (CIFAR-10 with the paper's 900 epochs, for a GPU).
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from ..codes import SIGN_THRESHOLD
from ..data import ImageDataset
from ..experiment import DeepHashingMethod
from ..nets.cnnbh import KNOB_LAYER, cnnbh_cifar, cnnbh_mnist
from ..nets.notation import NotationNet
from ..settings import BaselineRun, Recipe, RunSettings

__all__ = ["CNNBH", "REPORT_KS", "PROFILES"]

# k values of the precision@k curves (Figs. 3c/4c go to 1,000; Table 3 needs 500 and 1,500)
REPORT_KS = (1, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500)
_LENGTHS = (12, 24, 32, 48)
_MNIST = RunSettings(code_lengths=_LENGTHS, recipe=Recipe(epochs=40, weight_decay=0.05, padding=0, flip=False),
                     protocol="cnnh", feature="pixels", baselines=(BaselineRun("lsh"), BaselineRun("ksh")),
                     report_ks=REPORT_KS)
_CIFAR = RunSettings(code_lengths=_LENGTHS, recipe=Recipe(epochs=600), protocol="cnnh", feature="gist512",
                     baselines=(BaselineRun("lsh"), BaselineRun("ksh")), report_ks=REPORT_KS)
PROFILES: dict[str, dict[str, RunSettings]] = {
    "smoke": {"mnist5k": RunSettings(
        code_lengths=(12, 48), recipe=Recipe(epochs=5, weight_decay=0.05, padding=0, flip=False), protocol="cnnh",
        protocol_options={"queries_per_class": 20, "train_per_class": 200, "validation_per_class": 0},
        feature="pixels", baselines=(BaselineRun("lsh"), BaselineRun("ksh", {"n_labeled": 500, "n_anchors": 100})),
        report_ks=REPORT_KS)},
    "paper": {"mnist": _MNIST, "cifar10": _CIFAR},
    "long": {"mnist": _MNIST, "cifar10": replace(_CIFAR, recipe=Recipe(epochs=900))},
}


class CNNBH(DeepHashingMethod, name="CNNBH", chapter="cnnbh", profiles=PROFILES, hash_layer="knob",
            threshold=SIGN_THRESHOLD):
    """Guo & Li's method: the paper's classification network; codes = signs of the knob ``H<bits>``."""

    def build_network(self, dataset: ImageDataset, bits: int, settings: RunSettings) -> NotationNet:
        """The paper's network for the image shape: CIFAR-10 (3x32x32) or MNIST (1x28x28)."""
        shape = tuple(dataset.images.shape[1:])
        if shape == (3, 32, 32):
            return cnnbh_cifar(bits)
        if shape == (1, 28, 28):
            return cnnbh_mnist(bits)
        raise ValueError(f"CNNBH has networks for 3x32x32 (CIFAR-10) and 1x28x28 (MNIST) images, got {shape}")

    def layers(self, model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The knob's real outputs (their signs are the code) and the class scores."""
        outputs = model.forward_layers(inputs)
        return {"knob": outputs[KNOB_LAYER], "scores": outputs[list(outputs)[-1]]}
