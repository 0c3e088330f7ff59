"""Zeng et al. 2019: the multi-pooling "bilinear" network (Sec. 3.1, Table 1, Figs. 1-2) and its ablations.

Introduced in the Zeng chapter. The feature extraction part has three blocks;
in each, every image stream splits into ``len(branches)`` streams, each with its
own convolution followed by its own pooling (``"avg"`` or ``"max"``) and a ReLU.
With ``branches=("avg", "max")`` the streams go 1 -> 2 -> 4 -> 8 (Fig. 2); the
eight streams are concatenated and fused by convolution ("simple convolution as
bilinear operator"): conv 3x3 -> conv 3x3 -> global average pooling -> FC ->
FC ``bits``, with BatchNorm on the input of every layer (Table 1's note).

Table 1 is garbled in the text: the first convolution (32 filters, 3x3) and
the fusion part (512, 512, global average pooling, 1,000, bits) are readable;
the other stream widths are ``widths`` here, chosen by measurement in the
chapter. Table 1 has no ReLU between FC 1,000 and FC ``bits``: kept as written.
The ablations of Secs. 4.4-4.5 are the same builder with other ``branches``:
``("max", "max")`` / ``("avg", "avg")`` (one pooling method twice, still 8
streams) and ``("avg",)`` / ``("max",)`` (one stream: traditional_net-A / -B).

Each block is one grouped convolution (a group per incoming stream, each group
producing every branch's filters) and one pooling per branch, so the 8-stream
network runs as a handful of large kernels instead of 14 small ones.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["POOLINGS", "MultiPoolNet", "multipool_net"]

POOLINGS = ("avg", "max")


def _pool(kind: str, inputs: torch.Tensor) -> torch.Tensor:
    # 3x3 windows, stride 2, padding 1: 32 -> 16 -> 8 -> 4 (CIFAR-10), 28 -> 14 -> 7 -> 4 (MNIST)
    if kind == "max":
        return F.max_pool2d(inputs, 3, 2, 1)
    return F.avg_pool2d(inputs, 3, 2, 1, count_include_pad=False)


class StreamBlock(nn.Module):
    """BatchNorm, then per incoming stream one 3x3 convolution per branch, each branch's pooling, ReLU.

    inputs: (B, streams * in_width, H, W) -> (B, streams * len(branches) * out_width, H/2, W/2); the
    output streams are ordered stream-major (stream s's branches are outputs s * len(branches) + 0, 1, ...).
    """

    def __init__(self, streams: int, in_width: int, out_width: int, branches: tuple[str, ...]) -> None:
        super().__init__()
        self.streams, self.out_width, self.branches = streams, out_width, branches
        self.norm = nn.BatchNorm2d(streams * in_width)
        self.conv = nn.Conv2d(streams * in_width, streams * len(branches) * out_width, 3, padding=1,
                              groups=streams)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = self.conv(self.norm(inputs))
        batch, _, height, width = outputs.shape
        per_branch = outputs.reshape(batch, self.streams, len(self.branches), self.out_width, height, width)
        pooled = [_pool(kind, per_branch[:, :, index].reshape(batch, -1, height, width))
                  for index, kind in enumerate(self.branches)]
        if len(pooled) == 1:
            return F.relu(pooled[0])
        small = pooled[0].shape[-2:]
        stacked = torch.stack([part.reshape(batch, self.streams, self.out_width, *small) for part in pooled], dim=2)
        # ReLU after pooling: max pooling commutes with it, average pooling does not; Table 1 pools first
        return F.relu(stacked.reshape(batch, -1, *small))


class MultiPoolNet(nn.Module):
    """The Zeng et al. network; ``forward`` returns the ``bits`` real outputs b (codes: their signs).

    ``forward_layers`` also returns ``features`` (the pooled fusion output) for studies.
    """

    def __init__(self, bits: int, channels: int = 3, *, branches: tuple[str, ...] = POOLINGS,
                 widths: tuple[int, int, int] = (32, 32, 32), fusion_width: int = 512, fc_width: int = 1000) -> None:
        super().__init__()
        if not branches or any(kind not in POOLINGS for kind in branches):
            raise ValueError(f"branches must be a non-empty tuple of {POOLINGS}, e.g. ('avg', 'max'), got {branches!r}")
        if len(widths) != 3 or min(widths) < 1 or min(bits, fusion_width, fc_width) < 1:
            raise ValueError(f"widths must be three positive stream widths and bits, fusion_width, fc_width positive, "
                             f"got widths={widths}, bits={bits}, fusion_width={fusion_width}, fc_width={fc_width}")
        self.bits, self.branches, self.widths = bits, tuple(branches), tuple(widths)
        blocks, streams, width = [], 1, channels
        for out_width in widths:
            blocks.append(StreamBlock(streams, width, out_width, self.branches))
            streams, width = streams * len(self.branches), out_width
        self.streams = streams
        self.extract = nn.Sequential(*blocks)
        self.fuse = nn.Sequential(
            nn.BatchNorm2d(streams * width), nn.Conv2d(streams * width, fusion_width, 3, padding=1), nn.ReLU(),
            nn.BatchNorm2d(fusion_width), nn.Conv2d(fusion_width, fusion_width, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.hash = nn.Sequential(nn.BatchNorm1d(fusion_width), nn.Linear(fusion_width, fc_width),
                                  nn.BatchNorm1d(fc_width), nn.Linear(fc_width, bits))

    def forward_layers(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """``features``: (B, fusion_width) after global average pooling; ``hash``: (B, bits) real outputs."""
        features = self.fuse(self.extract(inputs))  # pixels in [0, 1] (Sec. 4.1); BatchNorm comes first
        return {"features": features, "hash": self.hash(features)}

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.forward_layers(inputs)["hash"]


def multipool_net(bits: int, channels: int = 3, *, branches: tuple[str, ...] = POOLINGS,
                  widths: tuple[int, int, int] = (32, 32, 32), fusion_width: int = 512,
                  fc_width: int = 1000) -> MultiPoolNet:
    """Build the network (``branches=("avg", "max")``: the paper's 8-stream bilinear network)."""
    return MultiPoolNet(bits, channels, branches=branches, widths=widths, fusion_width=fusion_width,
                        fc_width=fc_width)
