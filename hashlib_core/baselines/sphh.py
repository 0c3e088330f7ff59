"""Spherical hashing (Heo, Lee, He, Chang & Yoon, CVPR 2012).

Bit k is 1 when x lies inside hypersphere k: ``b_k(x) = [||x - c_k|| <= t_k]``.
Training (their Algorithm 1) moves the centres until every sphere holds half
of the training points (radius = median distance, ``o_k = n/2``) and every
pair of spheres shares a quarter of them (``o_ij = n/4``): the force between
two centres is ``f_ij = 1/2 (o_ij - n/4) / (n/4) (c_i - c_j)`` and each
centre moves by the mean force; stop when the mean and standard deviation of
``o_ij`` are within 10 % and 15 % of ``n/4`` (eps_m, eps_s). Codes are
compared with the ordinary Hamming distance here, not the paper's spherical
Hamming distance, so that every method in the book is ranked the same way.
"""

from __future__ import annotations

import numpy as np

from .base import HashingMethod

__all__ = ["SphericalHashing"]


def _distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    squared = (points ** 2).sum(1)[:, None] - 2 * points @ centres.T + (centres ** 2).sum(1)[None, :]
    return np.sqrt(np.maximum(squared, 0))


class SphericalHashing(HashingMethod):
    """SphH: ``n_bits`` hyperspheres, each splitting the training set in half."""

    def __init__(self, n_bits: int, seed: int = 0, max_iterations: int = 100, mean_tolerance: float = 0.10,
                 std_tolerance: float = 0.15) -> None:
        super().__init__(n_bits, seed)
        self.max_iterations = max_iterations
        self.mean_tolerance = mean_tolerance
        self.std_tolerance = std_tolerance

    def _minimum_samples(self) -> int:
        return max(4, self.n_bits)

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        rng = np.random.default_rng(self.seed)
        n = len(features)
        centres = features[rng.choice(n, self.n_bits, replace=False)].copy()
        quarter = n / 4
        off_diagonal = ~np.eye(self.n_bits, dtype=bool)
        for iteration in range(1, self.max_iterations + 1):
            distances = _distances(features, centres)
            radii = np.median(distances, axis=0)
            inside = (distances <= radii).astype(np.float64)
            overlaps = inside.T @ inside
            pairwise = overlaps[off_diagonal]
            self.iterations_ = iteration
            if abs(pairwise.mean() - quarter) <= self.mean_tolerance * quarter and \
                    pairwise.std() <= self.std_tolerance * quarter:
                break
            strength = 0.5 * (overlaps - quarter) / quarter
            np.fill_diagonal(strength, 0)
            # f_ij = strength_ij (c_i - c_j); c_i += mean over j of f_ij
            forces = strength.sum(axis=1)[:, None] * centres - strength @ centres
            centres = centres + forces / self.n_bits
        self.centres_ = centres
        self.radii_ = np.median(_distances(features, centres), axis=0)

    def _project(self, features: np.ndarray) -> np.ndarray:
        # positive inside the sphere (bit 1), as the base class takes bits = values > 0
        return self.radii_ - _distances(features, self.centres_) + 1e-12
