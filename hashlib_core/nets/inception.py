"""A small Inception network for 32 x 32 and 28 x 28 images, with Li & Li's latent layer H.

Introduced in the Li & Li chapter. The paper fine-tunes an ImageNet GoogLeNet
with H (``bits`` sigmoid units) between its fully connected layer F4 and the
output layer F5. On 2 CPU cores the backbone is the small Inception network
that Zhang et al. (2017, "Understanding deep learning requires rethinking
generalization", appendix) use for CIFAR-10, trained from scratch:

    conv 3x3, 96 -> Inception(32, 32) -> Inception(32, 48) -> Downsample(80)
    -> Inception(112, 48) -> Inception(96, 64) -> Inception(80, 80) -> Inception(48, 96)
    -> Downsample(96) -> Inception(176, 160) -> Inception(176, 160) -> global average pooling

where Inception(a, b) concatenates a 1x1 convolution with ``a`` filters and a
3x3 one with ``b`` filters, and Downsample(c) a stride-2 3x3 convolution with
``c`` filters and a stride-2 3x3 max pooling; every convolution is followed by
batch normalisation and ReLU. ``width`` scales every filter count (1.0: the
1.65 M-parameter original). F4 is a fully connected layer of ``f4_dim`` ReLU
units (dropout 0.5 after it), the head is DLBHC's :class:`~hashlib_core.nets.dlbhc.LatentHashNet`.
:func:`latent_googlenet` is the paper's network for readers with internet and
a GPU: torchvision's ImageNet GoogLeNet with H on its pooled 1,024-d feature.
"""

from __future__ import annotations

import torch
from torch import nn

from .dlbhc import IMAGENET_MEAN, IMAGENET_STD, LatentHashNet, imagenet_network, resize_to
from .dropout import FastDropout
from .notation import Standardize

__all__ = ["InceptionBlock", "DownsampleBlock", "small_inception", "lili_inception", "latent_googlenet"]


def _convolution(inputs: int, outputs: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, stride=stride, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(outputs), nn.ReLU(inplace=True))


class InceptionBlock(nn.Module):
    """``1x1 (ones)`` beside ``3x3 (threes)``, concatenated: ``ones + threes`` channels out."""

    def __init__(self, inputs: int, ones: int, threes: int) -> None:
        super().__init__()
        self.one, self.three = _convolution(inputs, ones, 1), _convolution(inputs, threes, 3)
        self.outputs = ones + threes

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.one(inputs), self.three(inputs)], dim=1)


class DownsampleBlock(nn.Module):
    """A stride-2 ``3x3 (filters)`` convolution beside a stride-2 3x3 max pooling: ``filters + inputs`` channels."""

    def __init__(self, inputs: int, filters: int) -> None:
        super().__init__()
        self.convolution = _convolution(inputs, filters, 3, stride=2)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.outputs = filters + inputs

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.convolution(inputs), self.pool(inputs)], dim=1)


# ("inception", ones, threes) or ("downsample", filters), in order (Zhang et al. 2017, Fig. 3)
_LAYOUT = (("inception", 32, 32), ("inception", 32, 48), ("downsample", 80), ("inception", 112, 48),
           ("inception", 96, 64), ("inception", 80, 80), ("inception", 48, 96), ("downsample", 96),
           ("inception", 176, 160), ("inception", 176, 160))


def small_inception(channels: int = 3, width: float = 1.0) -> tuple[nn.Sequential, int]:
    """The feature extractor (standardisation, stem convolution, the blocks, global average pooling) and the
    number of pooled features; ``width`` scales every filter count."""
    if not width > 0:
        raise ValueError(f"width must be positive, got {width!r}")

    def scaled(filters: int) -> int:
        return max(1, round(filters * width))

    layers: list[nn.Module] = [Standardize(channels), _convolution(channels, scaled(96), 3)]
    current = scaled(96)
    for kind, *sizes in _LAYOUT:
        block = InceptionBlock(current, scaled(sizes[0]), scaled(sizes[1])) if kind == "inception" else \
            DownsampleBlock(current, scaled(sizes[0]))
        layers.append(block)
        current = block.outputs
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), current


def lili_inception(bits: int = 48, classes: int = 10, *, channels: int = 3, width: float = 1.0,
                   f4_dim: int = 512) -> LatentHashNet:
    """The small Inception network, F4 (``f4_dim`` ReLU units, dropout 0.5), H (``bits`` sigmoids), F5 scores."""
    features, pooled = small_inception(channels, width)
    stem = nn.Sequential(features, nn.Linear(pooled, f4_dim), nn.ReLU(inplace=True), FastDropout(0.5))
    return LatentHashNet(stem, f4_dim, bits, classes, f"inception-small-w{width:g}-f{f4_dim}")


def latent_googlenet(bits: int = 48, classes: int = 10, *, pretrained: bool = True) -> LatentHashNet:
    """torchvision's GoogLeNet (ImageNet weights when ``pretrained``; inputs resized to 224 x 224 and normalised
    with ImageNet statistics), its pooled 1,024-d feature (after dropout) as F4, then H and F5. Raises
    :class:`~hashlib_core.nets.dlbhc.PretrainedWeightsUnavailable` when the weights cannot be loaded."""
    from torchvision.models import GoogLeNet_Weights, googlenet

    if not pretrained:
        network = googlenet(weights=None, aux_logits=False, init_weights=True)
    else:  # torchvision drops the auxiliary classifiers after loading the ImageNet weights
        network = imagenet_network(lambda: googlenet(weights=GoogLeNet_Weights.IMAGENET1K_V1), "GoogLeNet",
                                   "use the small Inception network (backbone 'inception-small'), which trains "
                                   "from scratch")
    network.transform_input = False  # the standardisation below does ImageNet's normalisation
    normalise = Standardize(3)
    normalise.set_statistics(torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD))
    network.fc = nn.Identity()
    stem = nn.Sequential(resize_to(224), normalise, network)
    return LatentHashNet(stem, 1024, bits, classes, "googlenet-imagenet" if pretrained else "googlenet-scratch")
