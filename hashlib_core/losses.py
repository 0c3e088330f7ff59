"""Paper losses; each cites the equation it implements.

Introduced with the chapters that use them. Pairwise losses take the pairs of
one mini-batch (all i < j), never an N x N matrix over the training set.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["classification_loss", "dsh_pairwise_loss"]


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
