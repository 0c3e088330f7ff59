"""Iterative quantisation (Gong & Lazebnik, CVPR 2011): PCA-ITQ and CCA-ITQ.

ITQ looks for a rotation R of the projected data V (n x c) that minimises the
quantisation loss ``Q(B, R) = ||B - V R||_F^2`` with ``B = sign(V R)``
(their Eq. 2), alternating: fix R, ``B = sign(V R)``; fix B, the orthogonal
Procrustes solution ``R = W U^T`` from ``svd(B^T V) = U S W^T`` (their Sec. 2.3).
50 iterations from a random orthogonal R, as in the paper.

* PCA-ITQ: V = the top ``n_bits`` principal components (scikit-learn PCA).
* CCA-ITQ (supervised): V = the data projected on the top ``n_bits`` canonical
  directions between features and one-hot labels, each scaled by its
  canonical correlation, as in the authors' code. scikit-learn's CCA stops at
  ``min(features, targets)`` components (10 for CIFAR-10), so the
  regularised CCA eigenproblem is solved here with ``scipy.linalg.eigh``.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from .base import HashingMethod
from .pca import fit_pca

__all__ = ["ITQ", "ITQCCA", "itq_rotation"]


def itq_rotation(projected: np.ndarray, iterations: int, seed: int) -> tuple[np.ndarray, list[float]]:
    """ITQ's alternating minimisation; returns R (c x c) and the quantisation loss per iteration."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((projected.shape[1], projected.shape[1])))
    losses = []
    for _ in range(iterations):
        rotated = projected @ rotation
        codes = np.where(rotated >= 0, 1.0, -1.0)
        losses.append(float(((codes - rotated) ** 2).sum()))
        left, _, right_t = np.linalg.svd(codes.T @ projected)
        rotation = right_t.T @ left.T
    return rotation, losses


class ITQ(HashingMethod):
    """PCA-ITQ: ``b(x) = [ (pca(x) R) > 0 ]``."""

    def __init__(self, n_bits: int, seed: int = 0, iterations: int = 50) -> None:
        super().__init__(n_bits, seed)
        self.iterations = iterations

    def _maximum_bits(self, n_samples: int, n_features: int) -> int:
        return min(n_samples, n_features)

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        self.pca_ = fit_pca(features, self.n_bits, self.seed)
        self.rotation_, self.quantization_loss_ = itq_rotation(self.pca_.transform(features), self.iterations,
                                                               self.seed)

    def _project(self, features: np.ndarray) -> np.ndarray:
        return self.pca_.transform(features) @ self.rotation_


class ITQCCA(HashingMethod):
    """CCA-ITQ: canonical directions towards the labels, scaled by their correlations, then ITQ."""

    supervised = True

    def __init__(self, n_bits: int, seed: int = 0, iterations: int = 50, regularization: float = 1e-4) -> None:
        super().__init__(n_bits, seed)
        self.iterations = iterations
        self.regularization = regularization

    def _maximum_bits(self, n_samples: int, n_features: int) -> int:
        return n_features

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        self.mean_ = features.mean(axis=0)
        centred = features - self.mean_
        classes = np.unique(labels)
        onehot = (labels[:, None] == classes[None, :]).astype(np.float64)
        onehot -= onehot.mean(axis=0)
        n = len(features)
        cov_xx = centred.T @ centred / n
        cov_xx += self.regularization * np.trace(cov_xx) / len(cov_xx) * np.eye(len(cov_xx))
        cov_yy = onehot.T @ onehot / n + self.regularization * np.eye(onehot.shape[1])
        cov_xy = centred.T @ onehot / n
        # Cxy Cyy^-1 Cyx w = rho^2 Cxx w; eigh returns ascending eigenvalues
        between = cov_xy @ np.linalg.solve(cov_yy, cov_xy.T)
        values, vectors = linalg.eigh((between + between.T) / 2, cov_xx)
        order = np.argsort(values)[::-1][: self.n_bits]
        correlations = np.sqrt(np.clip(values[order], 0, None))
        self.directions_ = vectors[:, order] * correlations
        self.canonical_correlations_ = correlations
        self.rotation_, self.quantization_loss_ = itq_rotation(centred @ self.directions_, self.iterations,
                                                               self.seed)

    def _project(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean_) @ self.directions_ @ self.rotation_
