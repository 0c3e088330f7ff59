"""The DSH network of Liu et al. 2016 (Deep Supervised Hashing), CIFAR-10 model: the single-stream reference.

Introduced in the Zeng chapter, which trains it with the same DSH loss beside the
multi-pooling network: conv 32 5x5 -> max pool 3x3/2 -> ReLU, conv 32 5x5 -> ReLU
-> average pool 3x3/2, conv 64 5x5 -> ReLU -> average pool 3x3/2, FC 500 -> ReLU,
FC ``bits`` (its signs are the code). The same layers take MNIST's 28x28 digits.
"""

from __future__ import annotations

import torch
from torch import nn

from .notation import Standardize

__all__ = ["DshNet", "dsh_net"]


class DshNet(nn.Module):
    """``forward`` returns the ``bits`` real outputs; ``forward_layers`` adds ``features`` (FC 500 after ReLU)."""

    def __init__(self, bits: int, channels: int = 3, image_size: int = 32) -> None:
        super().__init__()
        if bits < 1 or image_size < 8:
            raise ValueError(f"bits must be positive and image_size at least 8, got {bits}, {image_size}")
        self.standardize = Standardize(channels)  # the Caffe model subtracts the mean image
        self.extract = nn.Sequential(
            nn.Conv2d(channels, 32, 5, padding=2), nn.MaxPool2d(3, 2, ceil_mode=True), nn.ReLU(),
            nn.Conv2d(32, 32, 5, padding=2), nn.ReLU(), nn.AvgPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.AvgPool2d(3, 2, ceil_mode=True), nn.Flatten())
        with torch.no_grad():
            flat = self.extract(torch.zeros(1, channels, image_size, image_size)).shape[1]
        self.features = nn.Sequential(nn.Linear(flat, 500), nn.ReLU())
        self.hash = nn.Linear(500, bits)

    def forward_layers(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """``features``: (B, 500); ``hash``: (B, bits) real outputs."""
        features = self.features(self.extract(self.standardize(inputs)))
        return {"features": features, "hash": self.hash(features)}

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.forward_layers(inputs)["hash"]


def dsh_net(bits: int, channels: int = 3, image_size: int = 32) -> DshNet:
    """Build the DSH CIFAR-10 network for ``channels`` x ``image_size`` x ``image_size`` images."""
    return DshNet(bits, channels, image_size)
