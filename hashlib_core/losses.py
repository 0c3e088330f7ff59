"""Paper losses; each cites the equation it implements.

Introduced with the chapters that use them. Pairwise losses take the pairs of
one mini-batch (all i < j), never an N x N matrix over the training set.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["classification_loss", "dsh_pairwise_loss", "teacher_similarity", "semantic_loss", "quantization_loss",
           "bit_balance_loss", "rotation_loss", "DEEPBIT_ROTATION_ANGLES", "deepbit_angle_weights"]


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy on class scores (CNNBH, DLBHC: the networks are trained as classifiers)."""
    return F.cross_entropy(logits, labels)


def dsh_pairwise_loss(outputs: torch.Tensor, labels: torch.Tensor, *, margin: float | None = None,
                      alpha: float = 0.01) -> torch.Tensor:
    """The DSH pair loss (Liu et al. 2016), Eq. (1) of Zeng et al. 2019, averaged over in-batch pairs.

    For a pair with real-valued outputs b1, b2 and y = 0 (same class) or 1:
    ``1/2 (1-y) ||b1-b2||^2 + 1/2 y max(m - ||b1-b2||^2, 0) + alpha (|| |b1|-1 ||_1 + || |b2|-1 ||_1)``.
    ``margin`` defaults to 2 x bits (Zeng et al., Sec. 4). Each image appears in
    n-1 of the n(n-1)/2 pairs, so the mean over pairs of the regulariser is
    ``2 alpha`` times its mean over images, computed once per image. The value is
    exactly twice the official DSH Caffe layer's (pair sum over i < j divided by
    n(n-1), plus alpha times the regulariser summed over bits and images divided
    by n): the same balance of the two terms, so ``alpha = 0.01`` means what it
    means there (a sum over bits, not a mean), and Adam is blind to the factor.
    outputs: (n, bits) float; labels: (n,) int class ids; n >= 2.
    """
    if outputs.ndim != 2 or labels.shape != (outputs.shape[0],):
        raise ValueError(f"outputs must be (n, bits) and labels (n,), got {tuple(outputs.shape)} and "
                         f"{tuple(labels.shape)}")
    if outputs.shape[0] < 2:
        raise ValueError("a pairwise loss needs at least two images in the batch")
    margin = 2.0 * outputs.shape[1] if margin is None else margin
    norms = outputs.pow(2).sum(dim=1)
    # ||bi - bj||^2 without cdist, whose sqrt has no gradient at the zero diagonal
    squared = (norms[:, None] + norms[None, :] - 2 * outputs @ outputs.T).clamp_min(0)
    dissimilar = (labels[:, None] != labels[None, :]).to(outputs.dtype)
    pair_terms = 0.5 * (1 - dissimilar) * squared + 0.5 * dissimilar * F.relu(margin - squared)
    upper = torch.triu_indices(outputs.shape[0], outputs.shape[0], offset=1, device=outputs.device)
    regulariser = (outputs.abs() - 1).abs().sum(dim=1).mean()
    return pair_terms[upper[0], upper[1]].mean() + 2 * alpha * regulariser


# DeepBit's release rotates each training image by these angles (degrees) and weighs angle i (1-based)
# by exp(-(i - 3)^2 / 2), i.e. the unrotated copy most
DEEPBIT_ROTATION_ANGLES = (-10.0, -5.0, 0.0, 5.0, 10.0)


def deepbit_angle_weights(count: int = len(DEEPBIT_ROTATION_ANGLES)) -> torch.Tensor:
    """DeepBit's rotation weights ``exp(-(i - c)^2 / 2)`` for ``count`` angles, ``c`` the middle one (1-based 3
    of 5)."""
    positions = torch.arange(count, dtype=torch.float32) - (count - 1) / 2
    return torch.exp(-positions.pow(2) / 2)


def teacher_similarity(features: torch.Tensor, rho: float = 1.0) -> torch.Tensor:
    """USDH Eq. 2 for teacher features ``(n, d)``: ``S_ij = exp(-||x_i - x_j||_2 / (rho d))``, in (0, 1]."""
    if features.ndim != 2:
        raise ValueError(f"teacher features must be (n, d), got shape {tuple(features.shape)}")
    if not rho > 0:
        raise ValueError(f"rho must be > 0, got {rho!r}")
    features = features.float()
    distances = torch.cdist(features, features, compute_mode="donot_use_mm_for_euclid_dist")  # exact zero diagonal
    return torch.exp(-distances / (rho * features.shape[1]))


def semantic_loss(outputs: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
    """USDH Eq. 4 (J1), averaged over the pairs i < j of the batch: ``|S_ij - (b~_i . b~_j + k) / 2k|`` with
    ``b~ = 2b - 1`` for outputs ``b`` in (0, 1) ``(n, k)`` and teacher similarities ``S`` ``(n, n)``."""
    n, bits = outputs.shape
    if similarity.shape != (n, n):
        raise ValueError(f"similarity must be ({n}, {n}) for {n} outputs, got {tuple(similarity.shape)}")
    if n < 2:
        raise ValueError("a pairwise loss needs at least two images in the batch")
    centred = 2 * outputs - 1
    code_similarity = (centred @ centred.T + bits) / (2 * bits)
    upper = torch.triu_indices(n, n, offset=1, device=outputs.device)
    return (similarity - code_similarity)[upper[0], upper[1]].abs().mean()


def quantization_loss(outputs: torch.Tensor) -> torch.Tensor:
    """USDH Eq. 6 (J2) without its weight, averaged over images and bits: ``| |2b - 1| - 1 |`` (zero when every
    output is 0 or 1)."""
    return ((2 * outputs - 1).abs() - 1).abs().mean()


def bit_balance_loss(outputs: torch.Tensor) -> torch.Tensor:
    """J3 in DeepBit's form (USDH Eq. 7 defines only the per-bit batch mean mu): ``mean over bits (mu - 0.5)^2``."""
    return (outputs.mean(dim=0) - 0.5).pow(2).mean()


def rotation_loss(rotated: torch.Tensor, outputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """USDH Eq. 8 (J4) with DeepBit's weights: ``sum_theta w_theta ||b_theta - b||^2 / k``, averaged over images.
    ``rotated``: ``(n, angles, k)`` outputs of the rotated copies, ``outputs``: ``(n, k)``, ``weights``: ``(angles,)``.
    Squared (DeepBit's form; USDH prints a norm) so the gradient is defined when the codes agree."""
    if rotated.ndim != 3 or rotated.shape[0] != outputs.shape[0] or rotated.shape[2] != outputs.shape[1]:
        raise ValueError(f"rotated outputs must be (n, angles, k) = ({outputs.shape[0]}, angles, {outputs.shape[1]}), "
                         f"got {tuple(rotated.shape)}")
    if weights.shape != (rotated.shape[1],):
        raise ValueError(f"weights must have one value per angle ({rotated.shape[1]}), got {tuple(weights.shape)}")
    squared = (rotated - outputs[:, None, :]).pow(2).mean(dim=2)
    return (squared * weights.to(squared)).sum(dim=1).mean()
