"""A frozen pre-trained network's activations, computed once per image and cached.

Introduced in the DLBHC chapter. When only the top of an ImageNet network
learns, running its frozen lower part on every image in every epoch wastes the
CPU: :func:`cached_activations` runs it once over the whole dataset (in
batches, without gradients), stores the result as float16 under the cache
folder (``features/``), and returns an :class:`~hashlib_core.data.ImageDataset`
whose ``images`` are those activations. Training (:func:`hashlib_core.train.fit`)
and encoding take them like images; crop/flip augmentation is refused for them,
since a shifted activation map is not the activation of a shifted image.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from .cache import atomic_savez, resolve_cache_dir
from .data import ImageDataset
from .runtime import pick_device
from .train import to_model_input

__all__ = ["FrozenPrefix", "cached_activations"]


@dataclass(frozen=True)
class FrozenPrefix:
    """A frozen network part. ``identity`` names the network, its weights and where it is cut (it keys the cache,
    so change it whenever the activations would change); ``build()`` returns the module, which takes images as
    float in [0, 1], ``(B, C, H, W)``, and resizes and normalises them itself."""

    identity: str
    build: Callable[[], nn.Module]


def _cache_path(dataset: ImageDataset, prefix: FrozenPrefix, cache_dir: str | os.PathLike | None) -> Path:
    digest = hashlib.sha256(f"{dataset.checksum}|{prefix.identity}".encode()).hexdigest()[:16]
    safe = "".join(character if character.isalnum() or character in "-_." else "_" for character in prefix.identity)
    return resolve_cache_dir(cache_dir) / "features" / f"{dataset.name}-{safe}-{digest}.npz"


@torch.inference_mode()
def _compute(dataset: ImageDataset, module: nn.Module, batch_size: int, device: torch.device,
             progress: bool) -> np.ndarray:
    from tqdm import tqdm

    module.eval().to(device)
    blocks = []
    for start in tqdm(range(0, len(dataset), batch_size), desc=f"{dataset.name}: frozen activations",
                      unit="batch", disable=not progress):
        outputs = module(to_model_input(dataset.images[start:start + batch_size], device))
        if outputs.ndim != 4:
            raise ValueError(f"a frozen prefix must give (B, C, H, W) activations, got shape {tuple(outputs.shape)}")
        blocks.append(outputs.to(torch.float16).contiguous().cpu().numpy())
    return np.concatenate(blocks)


def cached_activations(dataset: ImageDataset, prefix: FrozenPrefix, *, batch_size: int = 250,
                       device: str | torch.device = "auto", cache_dir: str | os.PathLike | None = None,
                       progress: bool = True) -> ImageDataset:
    """``dataset`` with every image replaced by ``prefix``'s float16 activations (computed once, then read from the
    cache; a damaged cache file is named, deleted and computed again). Labels, splits and classes are kept; the
    checksum covers the images and the prefix, so checkpoints trained on other activations never load."""
    path = _cache_path(dataset, prefix, cache_dir)
    activations = None
    if path.exists():
        try:
            with np.load(path) as stored:
                activations = stored["activations"]
            if len(activations) != len(dataset):
                raise ValueError(f"{len(activations)} rows for {len(dataset)} images")
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            print(f"{path.name}: damaged activation cache ({error}); deleting it and computing again")
            path.unlink(missing_ok=True)
            activations = None
    if activations is None:
        started = time.perf_counter()
        activations = _compute(dataset, prefix.build(), batch_size, pick_device(device), progress)
        atomic_savez(path, activations=activations)
        if progress:
            print(f"{dataset.name}: {prefix.identity} activations {tuple(activations.shape[1:])} for "
                  f"{len(dataset):,} images in {time.perf_counter() - started:.0f} s (cached)")
    checksum = hashlib.sha256(f"{dataset.checksum}|{prefix.identity}".encode()).hexdigest()
    return ImageDataset(dataset.name, torch.from_numpy(activations), dataset.labels, dataset.is_test,
                        list(dataset.classes), f"{dataset.source}, through {prefix.identity}", checksum,
                        [*dataset.notes, f"inputs are the cached activations of {prefix.identity}"])
