"""Hand-made features for the classic baselines, cached per dataset.

Introduced in the classic-baselines chapter. ``dataset_features(dataset, "gist512")``
computes GIST once per dataset checksum and keeps it in the cache
(``<cache>/features/``, :mod:`hashlib_core.cache`), so every chapter that compares against GIST + LSH
reuses the same array.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .cache import atomic_savez, resolve_cache_dir
from .data import ImageDataset
from .gist import gist_descriptors

__all__ = ["FEATURE_KINDS", "dataset_features"]

FEATURE_KINDS = {
    "gist512": {"orientations_per_scale": (8, 8, 8, 8)},  # CNNH / CNNBH Table 1, DLBHC, USDH baselines
    "gist320": {"orientations_per_scale": (8, 8, 4)},     # CNNBH Table 3 "Gist_320"
    "pixels": None,                                       # raw pixels (MNIST baselines)
}


def dataset_features(dataset: ImageDataset, kind: str, *, cache: bool = True,
                     cache_dir: str | os.PathLike | None = None, progress: bool = True) -> tuple[np.ndarray, float]:
    """``(features (n, d) float32, seconds spent computing)`` for every image of ``dataset``.

    ``kind``: ``"gist512"``, ``"gist320"`` or ``"pixels"`` (flattened 0-255
    values). Seconds are 0.0 when the features came from the cache.
    """
    if kind not in FEATURE_KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; choose one of {', '.join(FEATURE_KINDS)}")
    if kind == "pixels":
        return dataset.images.reshape(len(dataset), -1).numpy().astype(np.float32), 0.0
    path = Path(resolve_cache_dir(cache_dir)) / "features" / f"{dataset.name}-{kind}-{dataset.checksum[:16]}.npz"
    if cache and path.exists():
        with np.load(path) as stored:
            return stored["features"], 0.0
    started = time.perf_counter()
    features = gist_descriptors(dataset.images, progress=progress, **FEATURE_KINDS[kind])
    seconds = time.perf_counter() - started
    if cache:
        atomic_savez(path, features=features)
    return features, seconds
