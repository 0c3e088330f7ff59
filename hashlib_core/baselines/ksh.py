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
mean squared distance to the anchors.

The options measure what the paper leaves open (``benchmarks/ksh_variants.py``):
``optimizer="lbfgs"`` (default) or ``"accelerated"``, the authors' accelerated
gradient descent with a backtracking step (their ``OptProjectionFast``, 500
iterations); ``statistics="labeled"`` (default: sigma and the kernel mean over
the labelled samples) or ``"all"`` (over every fitted sample, as the authors'
script does); ``normalize=None`` or ``"l2"`` (unit-length features first).
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
                 max_iterations: int | None = None, optimizer: str = "lbfgs", statistics: str = "labeled",
                 normalize: str | None = None) -> None:
        super().__init__(n_bits, seed)
        for name, value, allowed in (("optimizer", optimizer, ("lbfgs", "accelerated")),
                                     ("statistics", statistics, ("labeled", "all")),
                                     ("normalize", normalize, (None, "l2"))):
            if value not in allowed:
                raise ValueError(f"KSH {name} must be one of {allowed}, got {value!r}")
        self.n_anchors = n_anchors
        self.n_labeled = n_labeled
        self.optimizer = optimizer
        self.max_iterations = max_iterations or (300 if optimizer == "lbfgs" else 500)
        self.statistics = statistics
        self.normalize = normalize

    def _minimum_samples(self) -> int:
        return max(10, self.n_anchors // 10)

    def _normalized(self, features: np.ndarray) -> np.ndarray:
        if self.normalize == "l2":
            return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        return features

    def _kernel(self, features: np.ndarray) -> np.ndarray:
        return np.exp(-_squared_distances(self._normalized(features), self.anchors_) / (2 * self.sigma_))

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        rng = np.random.default_rng(self.seed)
        features = self._normalized(features)
        n = len(features)
        labeled = rng.choice(n, min(self.n_labeled, n), replace=False)
        self.anchors_ = features[rng.choice(n, min(self.n_anchors, n), replace=False)]
        squared = _squared_distances(features[labeled], self.anchors_)
        if self.statistics == "all":
            everything = np.concatenate([_squared_distances(block, self.anchors_)
                                         for block in np.array_split(features, max(1, n // 10000))])
            self.sigma_ = float(everything.mean())
            self.kernel_mean_ = np.exp(-everything / (2 * self.sigma_)).mean(axis=0)
        else:
            self.sigma_ = float(squared.mean())
            self.kernel_mean_ = np.exp(-squared / (2 * self.sigma_)).mean(axis=0)
        kernel = np.exp(-squared / (2 * self.sigma_))
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
            if self.optimizer == "lbfgs":
                refined = optimize.minimize(self._smoothed_objective, start, args=(centred, residue), jac=True,
                                            method="L-BFGS-B", options={"maxiter": self.max_iterations}).x
            else:
                refined = self._accelerated_descent(start, centred, residue)
            best = max((start, refined), key=lambda a: self._sign_objective(a, centred, residue))
            bits = np.where(centred @ best > 0, 1.0, -1.0)
            residue -= np.outer(bits, bits)
            weights.append(best)
        self.weights_ = np.stack(weights, axis=1)

    def _accelerated_descent(self, start: np.ndarray, centred: np.ndarray, residue: np.ndarray) -> np.ndarray:
        """Minimise the smoothed objective by Nesterov-accelerated gradient steps whose length a backtracking
        search sets (double the curvature estimate until the quadratic bound holds), as the authors' code does."""
        previous = current = start.copy()
        current_value = self._smoothed_objective(current, centred, residue)[0]
        curvature, momentum_old, momentum = 1.0, 0.0, 1.0
        for _ in range(self.max_iterations):
            point = current + (momentum_old - 1.0) / momentum * (current - previous)
            value, gradient = self._smoothed_objective(point, centred, residue)
            for _ in range(60):
                candidate = point - gradient / curvature
                step = candidate - point
                candidate_value = self._smoothed_objective(candidate, centred, residue)[0]
                if candidate_value <= value + gradient @ step + curvature / 2 * step @ step:
                    break
                curvature *= 2.0
            previous, current = current, candidate
            momentum_old, momentum = momentum, (1.0 + np.sqrt(1.0 + 4.0 * momentum ** 2)) / 2.0
            if abs(candidate_value - current_value) <= 1e-6 * max(abs(current_value), 1e-12):
                break
            current_value = candidate_value
        return current

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
