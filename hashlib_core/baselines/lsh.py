"""Locality-sensitive hashing with random hyperplanes (Charikar 2002; Gionis et al. 1999).

Bit k is the sign of a random Gaussian projection of the centred feature:
``b_k(x) = [w_k . (x - mean) > 0]``, ``w_k ~ N(0, I)``. Nothing is learned but
the mean; the seed fixes the projections.
"""

from __future__ import annotations

import numpy as np

from .base import HashingMethod

__all__ = ["LSH"]


class LSH(HashingMethod):
    """Random-projection LSH on centred data."""

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        self.mean_ = features.mean(axis=0)
        self.projections_ = np.random.default_rng(self.seed).standard_normal((features.shape[1], self.n_bits))

    def _project(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean_) @ self.projections_
