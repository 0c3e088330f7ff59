"""The architecture notation of Guo & Li (CNNBH, Sec. 4), parsed into a PyTorch network.

Introduced in the CNN Based Hashing chapter. The paper describes networks in
cuda-convnet2 style, e.g. ``1x28x28-32C5P0-MP2S2-32C5P0-MP2S2-H32-D0.5-H10``:

* ``CxHxW``: the input, C channels of H x W pixels (first token);
* ``<n>C<k>P<p>``: convolution, n filters of k x k, p pixels of zero padding,
  followed by a ReLU ("ReLU was used ... for the convolutional layers");
* ``MP<k>S<s>``: max pooling, k x k window, stride s, with cuda-convnet's
  rounding up of the output size (``ceil_mode``): 32 -> 16 -> 8 -> 4 for
  CIFAR-10, which gives the paper's ~125K parameters;
* ``D<p>``: dropout with drop probability p;
* ``H<n>``: a fully connected layer of n units *without* a nonlinearity (the
  first one is the "knob" whose signs are the hash code); the last one gives
  the class scores (softmax is in the loss).

Layers are named ``conv1, conv2, ..., pool1, ..., dropout1, ..., fc1, fc2``;
``NotationNet.forward_layers`` returns every named output, so chapters can read
"Pool3" (``pool3``) or the knob (``fc1``).

A convolution's ReLU that a max-pooling layer follows directly runs after the
pooling instead: max pooling commutes with ReLU (both outputs and gradients are
the same), and the ReLU then touches a quarter of the values, which made a CIFAR-10
training step about 20 % faster on the CPU. Such a convolution's entry in
``forward_layers`` is its output before the ReLU; the pooling layer's is unchanged.
Dropout is :class:`~hashlib_core.nets.dropout.FastDropout`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from .dropout import FastDropout

__all__ = ["LayerSpec", "parse_notation", "Standardize", "NotationNet", "build_from_notation"]

_PATTERNS = {
    "conv": re.compile(r"^(\d+)C(\d+)P(\d+)$"),
    "pool": re.compile(r"^MP(\d+)S(\d+)$"),
    "dropout": re.compile(r"^D(0(?:\.\d+)?|1(?:\.0+)?)$"),
    "fc": re.compile(r"^H(\d+)$"),
}
_INPUT = re.compile(r"^(\d+)x(\d+)x(\d+)$")


@dataclass(frozen=True)
class LayerSpec:
    """One parsed token: ``kind`` in {conv, pool, dropout, fc} and its numbers."""

    kind: str
    values: tuple[float, ...]
    token: str


def parse_notation(spec: str) -> tuple[tuple[int, int, int], list[LayerSpec]]:
    """Split a notation string into the input shape and layer specs; bad tokens raise ``ValueError``."""
    tokens = spec.strip().split("-")
    match = _INPUT.match(tokens[0])
    if not match:
        raise ValueError(f"{spec!r}: the first token must be the input shape CxHxW (e.g. 3x32x32), "
                         f"got {tokens[0]!r}")
    layers = []
    for token in tokens[1:]:
        for kind, pattern in _PATTERNS.items():
            found = pattern.match(token)
            if found:
                layers.append(LayerSpec(kind, tuple(float(v) for v in found.groups()), token))
                break
        else:
            raise ValueError(f"{spec!r}: cannot read token {token!r}; expected <n>C<k>P<p>, MP<k>S<s>, D<p> or H<n>")
    if not layers or layers[-1].kind != "fc":
        raise ValueError(f"{spec!r}: the last layer must be a fully connected H<classes> layer")
    return tuple(int(v) for v in match.groups()), layers


class Standardize(nn.Module):
    """Per-channel ``(x - mean) / std`` on inputs in [0, 1]; the statistics are buffers (saved with the model)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("std", torch.ones(1, channels, 1, 1))

    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Set the per-channel statistics, e.g. from :func:`hashlib_core.train.channel_statistics`."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32).reshape(self.mean.shape))
        self.std.copy_(torch.as_tensor(std, dtype=torch.float32).reshape(self.std.shape))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return (inputs - self.mean) / self.std


class NotationNet(nn.Module):
    """A network built from the notation: ``forward`` gives class scores, ``forward_layers`` every layer."""

    def __init__(self, spec: str) -> None:
        super().__init__()
        self.spec = spec
        (channels, height, width), layers = parse_notation(spec)
        self.input_shape = (channels, height, width)
        self.standardize = Standardize(channels)
        self.layers = nn.ModuleDict()
        counts: dict[str, int] = {}
        flat_features = None
        for index, layer in enumerate(layers):
            counts[layer.kind] = counts.get(layer.kind, 0) + 1
            name = f"{layer.kind}{counts[layer.kind]}"
            if layer.kind == "conv":
                filters, kernel, padding = (int(v) for v in layer.values)
                if flat_features is not None:
                    raise ValueError(f"{spec!r}: {layer.token} comes after a fully connected layer")
                convolution = nn.Conv2d(channels, filters, kernel, padding=padding)
                pooled_next = index + 1 < len(layers) and layers[index + 1].kind == "pool"
                self.layers[name] = (nn.Sequential(convolution) if pooled_next
                                     else nn.Sequential(convolution, nn.ReLU(inplace=True)))
                channels, height, width = filters, height + 2 * padding - kernel + 1, width + 2 * padding - kernel + 1
            elif layer.kind == "pool":
                kernel, stride = (int(v) for v in layer.values)
                pooling = nn.MaxPool2d(kernel, stride, ceil_mode=True)
                after_conv = index > 0 and layers[index - 1].kind == "conv"
                self.layers[name] = nn.Sequential(pooling, nn.ReLU(inplace=True)) if after_conv else pooling
                height, width = -(-(height - kernel) // stride) + 1, -(-(width - kernel) // stride) + 1
            elif layer.kind == "dropout":
                self.layers[name] = FastDropout(layer.values[0])
            else:
                units = int(layer.values[0])
                if flat_features is None:
                    flat_features = channels * height * width
                    self.layers[name] = nn.Sequential(nn.Flatten(), nn.Linear(flat_features, units))
                else:
                    self.layers[name] = nn.Linear(flat_features, units)
                flat_features = units
            if height < 1 or width < 1:
                raise ValueError(f"{spec!r}: feature maps shrink to nothing at {layer.token}")
        self.num_classes = flat_features

    def forward_layers(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every named layer's output for inputs in [0, 1], shape (batch, C, H, W)."""
        outputs = {}
        hidden = self.standardize(inputs)
        for name, layer in self.layers.items():
            hidden = layer(hidden)
            outputs[name] = hidden
        return outputs

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.standardize(inputs)
        for layer in self.layers.values():
            hidden = layer(hidden)
        return hidden


def build_from_notation(spec: str) -> NotationNet:
    """Build the network a notation string describes (see the module docstring)."""
    return NotationNet(spec)
