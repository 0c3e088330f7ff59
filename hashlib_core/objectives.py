"""Training objectives: what :func:`hashlib_core.train.fit` minimises, whatever the supervision.

Introduced in the CNN Based Hashing chapter; every chapter trains through one
of these. ``fit`` knows nothing about losses: each mini-batch it calls
``objective(model, inputs, batch)`` and gets ``(loss, class_scores or None)``.

* :class:`Classification`: softmax cross-entropy on class scores (CNNBH, DLBHC, Li & Li);
* :class:`PairwiseLoss`: a loss over the pairs of the mini-batch on a hash layer's
  real outputs, similarity from the labels (DSH, Zeng et al.);
* :class:`TeacherTargets`: a label-free loss on a hash layer's outputs and
  per-image teacher targets, e.g. a teacher network's features (USDH).

An objective with ``uses_labels = False`` never sees a training label:
``fit`` refuses labels for it and hands it batches whose ``labels`` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .losses import classification_loss

__all__ = ["Batch", "Objective", "Classification", "LayerLoss", "PairwiseLoss", "TeacherTargets", "LayerFunction"]

LayerFunction = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass
class Batch:
    """What an objective may read besides the model inputs: ``indices`` into the training set,
    ``labels`` (None for label-free objectives) and ``targets`` (per-image teacher data, or None)."""

    indices: torch.Tensor
    labels: torch.Tensor | None
    targets: torch.Tensor | None


class Objective:
    """Base class: ``__call__(model, inputs, batch) -> (loss, class scores or None)``.

    ``uses_labels``: the objective reads ``batch.labels``; ``uses_targets``: it
    reads ``batch.targets``; ``classifies``: the second return value holds
    class scores, so ``fit`` reports training accuracy.
    """

    uses_labels: bool = True
    uses_targets: bool = False
    classifies: bool = False

    def __call__(self, model: nn.Module, inputs: torch.Tensor, batch: Batch) -> tuple[torch.Tensor,
                                                                                     torch.Tensor | None]:
        raise NotImplementedError


class Classification(Objective):
    """Softmax cross-entropy on the model's class scores (``model(inputs)``), optionally with label smoothing."""

    classifies = True

    def __init__(self, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def __call__(self, model, inputs, batch):
        scores = model(inputs)
        if self.label_smoothing:
            return F.cross_entropy(scores, batch.labels, label_smoothing=self.label_smoothing), scores.detach()
        return classification_loss(scores, batch.labels), scores.detach()

    def __repr__(self) -> str:
        return f"Classification(label_smoothing={self.label_smoothing:g})"


class LayerLoss(Objective):
    """``loss(layer(model, inputs), batch.<reads>)``: a loss on a hash layer's real outputs and the batch's
    labels (``reads = "labels"``) or teacher targets (``reads = "targets"``)."""

    reads = "labels"

    def __init__(self, loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], layer: LayerFunction) -> None:
        self.loss, self.layer = loss, layer

    def __call__(self, model, inputs, batch):
        outputs = self.layer(model, inputs)
        # pair and similarity losses sum many products (e.g. ||bi - bj||^2 = |bi|^2 + |bj|^2 - 2 bi.bj with
        # m = 96 at 48 bits): float32 even under bfloat16 autocast, which would otherwise run their matmuls in bf16
        with torch.autocast(outputs.device.type, enabled=False):
            return self.loss(outputs.float(), getattr(batch, self.reads)), None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self.loss, '__name__', self.loss)})"


class PairwiseLoss(LayerLoss):
    """A loss over the pairs of the mini-batch (e.g. the DSH loss); it builds pair similarities from the labels."""


class TeacherTargets(LayerLoss):
    """A label-free loss on the hash layer and per-image teacher targets (unsupervised)."""

    uses_labels = False
    uses_targets = True
    reads = "targets"
