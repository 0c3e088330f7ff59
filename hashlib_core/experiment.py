"""What every chapter's experiment shares: training recipes, profiles, checkpoint keys, training on a protocol.

Introduced in the CNN Based Hashing chapter and used by every chapter that
trains networks (CNNBH, DLBHC, ...):

* :class:`Recipe`: optimiser, one-cycle learning rate, weight decay, batched augmentation;
* :func:`narrow_profile`: a chapter profile narrowed to some datasets / code lengths / epochs;
* :func:`checkpoint_path`: a checkpoint file keyed by data, protocol, recipe, seed and what else
  tells runs apart, so a re-run resumes and a changed setting starts afresh;
* :func:`train_on_protocol`: train a classification network on a protocol's training images,
  with per-epoch checkpoints, returning a :class:`TrainedNetwork`;
* :class:`ProtocolRun`: what every chapter's per-dataset run holds (data, protocol,
  settings, retrieval reports, baseline fit seconds, seconds per stage).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .data import ImageDataset, resolve_cache_dir
from .losses import classification_loss
from .protocols import Protocol
from .train import Augmentation, fit, load_checkpoint

__all__ = ["Recipe", "narrow_profile", "checkpoint_path", "TrainedNetwork", "train_on_protocol", "ProtocolRun"]


@dataclass(frozen=True)
class Recipe:
    """How one network is trained: optimiser, one-cycle learning rate, weight decay, batched augmentation.

    ``padding``/``flip``: random crops after zero padding and horizontal
    flips (``padding=0, flip=False``: no augmentation, as for MNIST digits).
    """

    epochs: int
    lr: float = 3e-3
    weight_decay: float = 0.1
    optimizer: str = "adamw"
    schedule: str = "onecycle"
    batch_size: int = 100
    padding: int = 2
    flip: bool = True

    def augmentation(self) -> Augmentation | None:
        """The batched augmentation, or None when the recipe has none."""
        return Augmentation(self.padding, self.flip) if self.padding or self.flip else None


def narrow_profile(profiles: dict[str, dict[str, dict]], profile: str, datasets: list[str] | None = None,
                   code_lengths: list[int] | None = None, epochs: int | None = None,
                   recipe_key: str = "recipe") -> dict[str, dict]:
    """The runs of ``profiles[profile]`` (``{dataset: settings}``), optionally narrowed or with other epochs.

    ``code_lengths`` replaces ``settings["code_lengths"]``; ``epochs``
    replaces the epochs of ``settings[recipe_key]`` (a :class:`Recipe`).
    The profiles themselves are never modified.
    """
    if profile not in profiles:
        raise ValueError(f"profile must be one of {', '.join(profiles)}, got {profile!r}")
    plan = {name: dict(settings) for name, settings in profiles[profile].items()}
    if datasets is not None:
        unknown = set(datasets) - set(plan)
        if unknown:
            raise ValueError(f"profile {profile!r} runs {sorted(plan)}; {sorted(unknown)} are not among them")
        plan = {name: plan[name] for name in datasets}
    if code_lengths is not None and (not code_lengths or any(int(bits) < 1 for bits in code_lengths)):
        raise ValueError(f"code_lengths must be positive integers, got {code_lengths}")
    if epochs is not None and epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    for settings in plan.values():
        if code_lengths is not None:
            settings["code_lengths"] = [int(bits) for bits in code_lengths]
        if epochs is not None:
            settings[recipe_key] = replace(settings[recipe_key], epochs=int(epochs))
    return plan


def checkpoint_path(chapter: str, label: str, dataset: ImageDataset, protocol: Protocol, recipe: Recipe, seed: int,
                    cache_dir: str | os.PathLike | None = None, **key: object) -> Path:
    """``<cache>/checkpoints/<chapter>/<dataset>-<label>-<digest>.pt``, the digest over data, protocol,
    recipe, seed and ``key`` (e.g. ``bits=48``, the backbone), so any change starts a new file."""
    text = json.dumps({"data": dataset.checksum, "protocol": protocol.checksum, "recipe": asdict(recipe),
                       "seed": seed, **key}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Path(resolve_cache_dir(cache_dir)) / "checkpoints" / chapter / f"{dataset.name}-{label}-{digest}.pt"


@dataclass
class TrainedNetwork:
    """A trained network with its history, training seconds and whether it came (partly) from a checkpoint."""

    model: nn.Module
    history: list[dict]
    seconds: float
    resumed_epochs: int = 0


def train_on_protocol(model: nn.Module, dataset: ImageDataset, protocol: Protocol, recipe: Recipe, *,
                      device: str | torch.device = "auto", seed: int = 0,
                      checkpoint: str | os.PathLike | None = None, progress: bool = True,
                      lr_scales: dict[str, float] | None = None) -> TrainedNetwork:
    """Train a classification network (class scores out) on the protocol's training images with ``recipe``.

    Set the model's input standardisation before calling. ``lr_scales``
    slows named submodules down (see :func:`~hashlib_core.train.fit`). With
    ``checkpoint`` the state is saved every epoch and a re-run resumes
    (``resumed_epochs`` says how many epochs came from the file).
    """
    images, labels = dataset.images[protocol.train], dataset.labels[protocol.train]
    before = 0
    if checkpoint is not None and Path(checkpoint).exists():
        before = int(load_checkpoint(checkpoint)["epoch"])
    started = time.perf_counter()
    history = fit(model, images, labels, classification_loss, epochs=recipe.epochs, batch_size=recipe.batch_size,
                  lr=recipe.lr, weight_decay=recipe.weight_decay, optimizer=recipe.optimizer,
                  schedule=recipe.schedule, augmentation=recipe.augmentation(), device=device, seed=seed,
                  checkpoint=checkpoint, resume=checkpoint is not None, progress=progress,
                  log_every=max(1, recipe.epochs // 10), lr_scales=lr_scales)
    return TrainedNetwork(model, history, time.perf_counter() - started, before)


@dataclass
class ProtocolRun:
    """One dataset's run of a chapter: data, protocol and settings, and what the run measured.

    ``reports[(method, bits)]``: retrieval reports; ``baseline_seconds[(method,
    bits)]``: fit seconds of the classic baselines; ``stages``: wall seconds
    per stage. Chapters subclass it with their own outputs.
    """

    dataset: ImageDataset
    protocol: Protocol
    settings: dict
    reports: dict = field(default_factory=dict)
    baseline_seconds: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        """Class ids of every image."""
        return self.dataset.labels.numpy()
