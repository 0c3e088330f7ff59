"""Deep Learning of Binary Hash Codes (Lin et al. 2015): a latent layer H of sigmoid units between F7 and F8.

Introduced in the DLBHC chapter. Every network here has the same head::

    backbone features -> ... -> F7 (ReLU) -> H: h units, sigmoid -> F8: class scores

The code of an image is ``H > 0.5`` (Eq. 1); hierarchical deep search ranks
candidates by Euclidean distance on F7. Two backbones:

* ``dlbhc_alexnet``: torchvision's AlexNet (inputs resized to 224 x 224 and
  normalised with ImageNet statistics), H inserted between its F7 and F8, as in
  the paper. ``pretrained=True`` needs the ImageNet weights; when they cannot be
  had (offline), :class:`PretrainedWeightsUnavailable` says so, and no other
  model is trained under this name.
* ``dlbhc_small``: a CPU-sized convolutional backbone for 32 x 32 and 28 x 28
  inputs, trained from scratch, with its own F7 layer.
"""

from __future__ import annotations

import torch
from torch import nn

from .dropout import FastDropout
from .notation import Standardize

__all__ = ["LatentHashNet", "PretrainedWeightsUnavailable", "imagenet_network", "resize_to", "dlbhc_alexnet", "dlbhc_small", "dlbhc_efficientnet", "latent_outputs",
           "f7_outputs", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PretrainedWeightsUnavailable(RuntimeError):
    """ImageNet weights were asked for but could not be loaded (typically: no internet)."""


class LatentHashNet(nn.Module):
    """``stem`` (image -> F7 features) followed by H (``bits`` sigmoid units) and F8 (``classes`` scores).

    ``forward`` returns the class scores (train with cross-entropy);
    ``forward_all`` returns ``{"f7", "latent", "scores"}``.
    """

    def __init__(self, stem: nn.Module, f7_dim: int, bits: int, classes: int, name: str) -> None:
        super().__init__()
        if bits < 1 or classes < 2:
            raise ValueError(f"need at least 1 latent unit and 2 classes, got bits={bits}, classes={classes}")
        self.name = name
        self.stem = stem
        self.latent = nn.Sequential(nn.Linear(f7_dim, bits), nn.Sigmoid())
        self.classifier = nn.Linear(bits, classes)
        self.bits, self.f7_dim = bits, f7_dim

    @property
    def standardize(self) -> Standardize:
        """The input standardisation at the start of the stem (set it from the training images)."""
        return next(module for module in self.stem.modules() if isinstance(module, Standardize))

    def forward_all(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """F7 features, latent activations in (0, 1) and class scores."""
        f7 = self.stem(inputs)
        latent = self.latent(f7)
        return {"f7": f7, "latent": latent, "scores": self.classifier(latent)}

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.latent(self.stem(inputs)))


def latent_outputs(model: LatentHashNet, inputs: torch.Tensor) -> torch.Tensor:
    """H's sigmoid activations (code = activation > 0.5); a ``layer`` for :func:`hashlib_core.train.encode`."""
    return model.latent(model.stem(inputs))


def f7_outputs(model: LatentHashNet, inputs: torch.Tensor) -> torch.Tensor:
    """F7 features, for the fine level of hierarchical deep search."""
    return model.stem(inputs)


class _Resize(nn.Module):
    """Images of any size (grey or colour) -> colour images of ``size`` x ``size`` (bilinear)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.shape[1] == 1:
            inputs = inputs.expand(-1, 3, -1, -1)  # grey digits into AlexNet's three channels
        return nn.functional.interpolate(inputs, size=(self.size, self.size), mode="bilinear", align_corners=False)


def imagenet_network(build, network: str, alternative: str) -> nn.Module:
    """``build()`` (a torchvision constructor that downloads ImageNet weights on first use), or
    :class:`PretrainedWeightsUnavailable` naming ``network``, where the weights come from and ``alternative``."""
    try:
        return build()
    except Exception as error:  # URLError, OSError, RuntimeError (checksum) depending on the cause
        raise PretrainedWeightsUnavailable(
            f"ImageNet weights for {network} could not be loaded ({type(error).__name__}: {error}). They are "
            "downloaded from download.pytorch.org on first use, into the torch hub cache; connect to the internet "
            f"or copy the file there, or {alternative}.") from error


def resize_to(size: int) -> nn.Module:
    """A module that resizes images to ``size`` x ``size`` (bilinear) and repeats grey ones into three channels."""
    return _Resize(size)


def dlbhc_alexnet(bits: int = 48, classes: int = 10, *, pretrained: bool = True) -> LatentHashNet:
    """AlexNet with H between F7 and F8, as in the paper; ImageNet weights when ``pretrained``.

    Inputs in [0, 1] of any size are resized to 224 x 224 and normalised with
    ImageNet statistics. Raises :class:`PretrainedWeightsUnavailable` when the
    weights cannot be downloaded or read.
    """
    from torchvision.models import AlexNet_Weights, alexnet

    network = imagenet_network(lambda: alexnet(weights=AlexNet_Weights.IMAGENET1K_V1 if pretrained else None),
                               "AlexNet", "use the CPU backbone (backbone='small'), which trains from scratch")
    normalise = Standardize(3)
    normalise.set_statistics(torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD))
    classifier = list(network.classifier.children())  # Dropout, F6, ReLU, Dropout, F7, ReLU, F8
    stem = nn.Sequential(_Resize(224), normalise, network.features, network.avgpool, nn.Flatten(),
                         *classifier[:6])
    return LatentHashNet(stem, classifier[4].out_features, bits, classes,
                         "alexnet-imagenet" if pretrained else "alexnet-scratch")


def dlbhc_small(bits: int = 48, classes: int = 10, *, channels: int = 3, width: int = 32,
                f7_dim: int = 512) -> LatentHashNet:
    """A CPU-sized backbone: three blocks of two 3x3 convolutions (batch norm, ReLU) and 2x2 max pooling.

    ``width`` filters in the first block, doubling per block, then average
    pooling to 2 x 2 (so 32 x 32 and 28 x 28 inputs both work). F7 is a fully
    connected layer of ``f7_dim`` units with ReLU (dropout 0.5 after it).
    """
    def block(inputs: int, outputs: int) -> list[nn.Module]:
        # ReLU after the max pooling: the same function (they commute) at a quarter of the ReLU's work
        return [nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(inplace=True),
                nn.Conv2d(outputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.MaxPool2d(2),
                nn.ReLU(inplace=True)]

    stem = nn.Sequential(Standardize(channels), *block(channels, width), *block(width, 2 * width),
                         *block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                         nn.Linear(4 * width * 4, f7_dim), nn.ReLU(inplace=True), FastDropout(0.5))
    return LatentHashNet(stem, f7_dim, bits, classes, f"small-w{width}-f{f7_dim}")


def dlbhc_efficientnet(bits: int = 48, classes: int = 10, *, cut: int = 11, dropout: float = 0.2) -> LatentHashNet:
    """The latent-layer network on the ImageNet EfficientNet-Lite0 (:mod:`hashlib_core.nets.efficientnet`): the stem
    is the trainable top from block ``cut`` (its inputs are the frozen lower part's cached activations) up to the
    pooled 1,280-d feature, which plays F7, with dropout after it as in the network's ImageNet classifier."""
    from .efficientnet import LITE0_FEATURES, lite0_top

    stem = nn.Sequential(lite0_top(cut), FastDropout(dropout))
    return LatentHashNet(stem, LITE0_FEATURES, bits, classes, f"efficientnet-lite0-imagenet-cut{cut}")
