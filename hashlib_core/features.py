"""Hand-made features for the classic baselines and classifiers, cached per dataset.

Introduced in the classic-baselines chapter. ``dataset_features(dataset, "gist512")``
computes GIST once per dataset checksum and keeps it in the cache
(``<cache>/features/``, :mod:`hashlib_core.cache`), so every chapter that compares against GIST + LSH
reuses the same array. ``"lite0-128px"`` is the ImageNet EfficientNet-Lite0's pooled
1,280-d feature at 128 pixels (any size ``lite0-<N>px``; ``vgg19-<N>px``: VGG-19's
fc7), the USDH chapter's teachers (:mod:`hashlib_core.teachers`), cached by
:func:`hashlib_core.frozen.cached_activations`. ``hsv-histogram``, ``hog`` and
``lbp`` (scikit-image) are the colour, shape and texture descriptors of the USDH
chapter's flower classification.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .cache import atomic_savez, resolve_cache_dir
from .data import ImageDataset
from .gist import gist_descriptors

__all__ = ["FEATURE_KINDS", "is_feature_kind", "dataset_features"]

FEATURE_KINDS = {
    "gist512": {"orientations_per_scale": (8, 8, 8, 8)},  # CNNH / CNNBH Table 1, DLBHC, USDH baselines
    "gist320": {"orientations_per_scale": (8, 8, 4)},     # CNNBH Table 3 "Gist_320"
    "pixels": None,                                       # raw pixels (MNIST baselines)
    "hsv-histogram": None,  # colour: joint HSV histogram, 16 x 4 x 4 bins (USDH Table 5)
    "hog": None,            # shape: HOG of the grey image at 128 px, 9 orientations, 16-px cells, 2 x 2 blocks
    "lbp": None,            # texture: uniform LBP (8 neighbours, radius 1) histograms over a 4 x 4 grid
}
HANDCRAFTED = ("hsv-histogram", "hog", "lbp")


def is_feature_kind(kind: object) -> bool:
    """Whether ``kind`` names a feature :func:`dataset_features` computes."""
    from .teachers import teacher_kind

    return isinstance(kind, str) and (kind in FEATURE_KINDS or teacher_kind(kind) is not None)


def dataset_features(dataset: ImageDataset, kind: str, *, cache: bool = True,
                     cache_dir: str | os.PathLike | None = None, progress: bool = True) -> tuple[np.ndarray, float]:
    """``(features (n, d) float32, seconds spent computing)`` for every image of ``dataset``.

    ``kind``: ``"gist512"``, ``"gist320"``, ``"pixels"`` (flattened 0-255
    values), ``"hsv-histogram"``, ``"hog"``, ``"lbp"``, or a teacher's features
    ``"lite0-<N>px"`` / ``"vgg19-<N>px"`` (:mod:`hashlib_core.teachers`).
    Seconds are 0.0 when the features came from the cache.
    """
    if not is_feature_kind(kind):
        raise ValueError(f"unknown feature kind {kind!r}; choose one of {', '.join(FEATURE_KINDS)}, lite0-<N>px or "
                         f"vgg19-<N>px (e.g. lite0-128px)")
    from .teachers import teacher_kind

    teacher = teacher_kind(kind)
    if teacher:
        from .frozen import cached_activations
        from .teachers import teacher_prefix

        started = time.perf_counter()
        activations = cached_activations(dataset, teacher_prefix(*teacher), cache_dir=cache_dir,
                                         progress=progress).images
        return activations.reshape(len(dataset), -1).float().numpy(), time.perf_counter() - started
    if kind == "pixels":
        return dataset.images.reshape(len(dataset), -1).numpy().astype(np.float32), 0.0
    path = Path(resolve_cache_dir(cache_dir)) / "features" / f"{dataset.name}-{kind}-{dataset.checksum[:16]}.npz"
    if cache and path.exists():
        with np.load(path) as stored:
            return stored["features"], 0.0
    started = time.perf_counter()
    if kind in HANDCRAFTED:
        describe = {"hsv-histogram": _hsv_histogram, "hog": _hog, "lbp": _lbp}[kind]
        features = np.stack([describe(image) for image in _progress(dataset.images.numpy(), f"{dataset.name}: {kind}",
                                                                    progress)]).astype(np.float32)
    else:
        features = gist_descriptors(dataset.images, progress=progress, **FEATURE_KINDS[kind])
    seconds = time.perf_counter() - started
    if cache:
        atomic_savez(path, features=features)
    return features, seconds


def _progress(images: np.ndarray, description: str, shown: bool):
    from tqdm import tqdm

    return tqdm(images, desc=description, unit="img", disable=not shown)


def _rgb(image: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` uint8 -> ``(H, W, 3)`` float in [0, 1] (grey images repeated in every channel)."""
    pixels = image.transpose(1, 2, 0).astype(np.float32) / 255.0
    return np.repeat(pixels, 3, axis=2) if pixels.shape[2] == 1 else pixels


def _hsv_histogram(image: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2hsv

    hsv = rgb2hsv(_rgb(image)).reshape(-1, 3)
    histogram, _ = np.histogramdd(hsv, bins=(16, 4, 4), range=((0, 1), (0, 1), (0, 1)))
    return histogram.ravel() / len(hsv)


def _grey(image: np.ndarray, size: int) -> np.ndarray:
    from skimage.color import rgb2gray
    from skimage.transform import resize

    return resize(rgb2gray(_rgb(image)), (size, size), anti_aliasing=True)


def _hog(image: np.ndarray) -> np.ndarray:
    from skimage.feature import hog

    return hog(_grey(image, 128), orientations=9, pixels_per_cell=(16, 16), cells_per_block=(2, 2))


def _lbp(image: np.ndarray) -> np.ndarray:
    from skimage.feature import local_binary_pattern

    codes = local_binary_pattern((_grey(image, 128) * 255).astype(np.uint8), 8, 1, method="uniform")
    cells = [cell for band in np.array_split(codes, 4, axis=0) for cell in np.array_split(band, 4, axis=1)]
    return np.concatenate([np.bincount(cell.astype(np.int64).ravel(), minlength=10) / cell.size for cell in cells])
