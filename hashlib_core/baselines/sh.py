"""Spectral hashing (Weiss, Torralba & Fergus, NIPS 2008), as in the authors' ``trainSH``/``compressSH``.

Data are rotated by PCA (``min(n_bits, d)`` components); along each direction
the data are assumed uniform on ``[mn, mx]``, where the Laplacian's
eigenfunctions are ``sin(pi/2 + k pi (x - mn) / (mx - mn))`` with eigenvalue
growing with ``(k / (mx - mn))^2``. The ``n_bits`` smallest non-trivial
eigenvalues over all (direction, k) pairs are kept; bit = sign of the
eigenfunction.
"""

from __future__ import annotations

import numpy as np

from .base import HashingMethod
from .pca import fit_pca

__all__ = ["SpectralHashing"]


class SpectralHashing(HashingMethod):
    """SH: analytical eigenfunctions of the uniform-distribution Laplacian along PCA directions."""

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        n_components = min(self.n_bits, features.shape[1], len(features))
        self.pca_ = fit_pca(features, n_components, self.seed)
        projected = self.pca_.transform(features)
        eps = np.finfo(float).eps
        self.low_ = projected.min(axis=0) - eps
        high = projected.max(axis=0) + eps
        ranges = high - self.low_
        max_mode = np.ceil((self.n_bits + 1) * ranges / ranges.max()).astype(int)
        modes = [np.zeros(n_components, dtype=int)]
        for direction in range(n_components):
            for k in range(1, max_mode[direction]):
                mode = np.zeros(n_components, dtype=int)
                mode[direction] = k
                modes.append(mode)
        modes = np.array(modes)
        eigenvalues = ((modes * (np.pi / ranges)) ** 2).sum(axis=1)
        order = np.argsort(eigenvalues, kind="stable")
        self.modes_ = modes[order[1:self.n_bits + 1]]  # skip the constant eigenfunction
        if len(self.modes_) < self.n_bits:
            raise ValueError(f"spectral hashing found only {len(self.modes_)} eigenfunctions for {self.n_bits} bits")
        self.omegas_ = self.modes_ * (np.pi / ranges)

    def _project(self, features: np.ndarray) -> np.ndarray:
        shifted = self.pca_.transform(features) - self.low_
        return np.stack([np.prod(np.sin(shifted * omega + np.pi / 2), axis=1) for omega in self.omegas_], axis=1)
