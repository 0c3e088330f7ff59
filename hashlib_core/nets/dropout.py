"""Dropout with a cheap random mask on the CPU: the same Bernoulli keep mask, drawn 16 bits at a time.

``torch.nn.Dropout`` on the CPU draws one Bernoulli variable per element with
a scalar generator; in the CNNBH CIFAR-10 network that was about a quarter of
a training step (profile in ``benchmarks/bench_training.py``). Here the mask
comes from 64-bit random integers split into four 16-bit draws: an element is
kept when its draw is at or above a threshold, so the keep probability is
``1 - p`` rounded to a multiple of 1/65,536, and kept values are scaled by
``1 / (1 - p)`` as in ``nn.Dropout``. The draws come from torch's default
generator, so ``torch.manual_seed`` makes them repeat. On other devices, for
tensors that are neither contiguous nor channels_last, and in eval mode this
is exactly ``nn.Dropout``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FastDropout", "keep_mask"]

_DRAWS = 1 << 16


def _threshold(p: float) -> int:
    """int16 value at or above which an element is kept: P(keep) = 1 - p to within 1/65,536."""
    return round(p * _DRAWS) - _DRAWS // 2


def keep_mask(shape_like: torch.Tensor, p: float) -> torch.Tensor | None:
    """A bool keep mask with the shape and memory layout of ``shape_like`` (None if its layout is not dense)."""
    if shape_like.is_contiguous():
        physical, order = shape_like.shape, None
    elif shape_like.dim() == 4 and shape_like.is_contiguous(memory_format=torch.channels_last):
        n, c, h, w = shape_like.shape
        physical, order = (n, h, w, c), (0, 3, 1, 2)
    else:
        return None
    count = shape_like.numel()
    # the full int64 range: random_() alone stops at 2**63 - 1 and would leave every fourth draw non-negative
    draws = torch.empty((count + 3) // 4, dtype=torch.int64).random_(-(2**63), 2**63 - 1).view(torch.int16)[:count]
    keep = (draws >= _threshold(p)).view(physical)
    return keep.permute(order) if order is not None else keep


class FastDropout(nn.Dropout):
    """``nn.Dropout`` whose CPU training mask is drawn 16 bits per element (see the module docstring)."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or inputs.device.type != "cpu" or self.p >= 1:
            return super().forward(inputs)
        keep = keep_mask(inputs, self.p)
        if keep is None:
            return super().forward(inputs)
        scaled_mask = keep.to(inputs.dtype).mul_(1.0 / (1.0 - self.p))
        if self.inplace:
            return inputs.mul_(scaled_mask)
        return inputs * scaled_mask
