"""Kernel-based supervised hashing (KSH; Liu, Wang, Ji, Jiang & Chang, CVPR 2012).

Hash function k: ``h_k(x) = sgn(a_k . kbar(x))`` with ``kbar(x)`` the RBF
kernel between x and m anchors (random training points), centred by its
mean over the labelled samples (their Eq. 2-3). With l labelled samples and
``S_ij = +1`` for same-class pairs, -1 otherwise, the codes should satisfy
``H H^T / r ~ S`` (Eq. 5). Bits are learned greedily (Eq. 7-9): with the
residue ``R_{k-1} = r S - sum_{t<k} h_t h_t^T``, maximise ``h_k^T R_{k-1} h_k``,
starting from the spectral relaxation (a generalised eigenproblem), then
refining the sigmoid-smoothed objective ``phi(x) = 2 / (1 + exp(-x)) - 1``
with L-BFGS (scipy) and keeping whichever start gives the better signs.
As in the authors' code the kernel is ``exp(-d^2 / (2 sigma))`` with sigma the
mean squared distance from the labelled samples to the anchors.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

from .base import HashingMethod

__all__ = ["KSH"]


def _squared_distances(points: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    return np.maximum((points ** 2).sum(1)[:, None] - 2 * points @ anchors.T + (anchors ** 2).sum(1)[None, :], 0)


class KSH(HashingMethod):
    """KSH with ``n_anchors`` RBF anchors learned from ``n_labeled`` labelled samples."""

    supervised = True

    def __init__(self, n_bits: int, seed: int = 0, n_anchors: int = 300, n_labeled: int = 2000,
                 max_iterations: int = 300) -> None:
        super().__init__(n_bits, seed)
        self.n_anchors = n_anchors
        self.n_labeled = n_labeled
        self.max_iterations = max_iterations

    def _minimum_samples(self) -> int:
        return max(10, self.n_anchors // 10)

    def _kernel(self, features: np.ndarray) -> np.ndarray:
        return np.exp(-_squared_distances(features, self.anchors_) / (2 * self.sigma_))

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        rng = np.random.default_rng(self.seed)
        n = len(features)
        labeled = rng.choice(n, min(self.n_labeled, n), replace=False)
        self.anchors_ = features[rng.choice(n, min(self.n_anchors, n), replace=False)]
        squared = _squared_distances(features[labeled], self.anchors_)
        self.sigma_ = float(squared.mean())
        kernel = np.exp(-squared / (2 * self.sigma_))
        self.kernel_mean_ = kernel.mean(axis=0)
        centred = kernel - self.kernel_mean_
        same = labels[labeled][:, None] == labels[labeled][None, :]
        residue = self.n_bits * np.where(same, 1.0, -1.0)
        gram = centred.T @ centred + 1e-6 * np.trace(centred.T @ centred) / centred.shape[1] * np.eye(centred.shape[1])
        weights = []
        for _ in range(self.n_bits):
            between = centred.T @ residue @ centred
            _, vectors = linalg.eigh((between + between.T) / 2, gram, subset_by_index=[len(gram) - 1] * 2)
            start = vectors[:, -1]
            start *= np.sqrt(len(centred) / max(float(((centred @ start) ** 2).sum()), 1e-12))  # unit-scale inputs
            refined = optimize.minimize(self._smoothed_objective, start, args=(centred, residue), jac=True,
                                        method="L-BFGS-B", options={"maxiter": self.max_iterations}).x
            best = max((start, refined), key=lambda a: self._sign_objective(a, centred, residue))
            bits = np.where(centred @ best > 0, 1.0, -1.0)
            residue -= np.outer(bits, bits)
            weights.append(best)
        self.weights_ = np.stack(weights, axis=1)

    @staticmethod
    def _sign_objective(weights: np.ndarray, centred: np.ndarray, residue: np.ndarray) -> float:
        bits = np.where(centred @ weights > 0, 1.0, -1.0)
        return float(bits @ residue @ bits)

    @staticmethod
    def _smoothed_objective(weights: np.ndarray, centred: np.ndarray, residue: np.ndarray) -> tuple[float, np.ndarray]:
        smooth = np.tanh(centred @ weights / 2)  # 2 / (1 + exp(-x)) - 1
        pulled = residue @ smooth
        return -float(smooth @ pulled), -centred.T @ (pulled * (1 - smooth ** 2))

    def _project(self, features: np.ndarray) -> np.ndarray:
        return (self._kernel(features) - self.kernel_mean_) @ self.weights_
