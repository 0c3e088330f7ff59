"""PCA hashing (PCAH; Wang, Kumar & Chang 2010): the signs of the top principal components."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from .base import HashingMethod

__all__ = ["PCAH", "fit_pca"]


def fit_pca(features: np.ndarray, n_components: int, seed: int) -> PCA:
    """scikit-learn PCA, the shared first step of PCAH, ITQ and SH (centres the data)."""
    return PCA(n_components=n_components, svd_solver="full", random_state=seed).fit(features)


class PCAH(HashingMethod):
    """``b_k(x) = [pc_k . (x - mean) > 0]`` for the top ``n_bits`` principal components."""

    def _maximum_bits(self, n_samples: int, n_features: int) -> int:
        return min(n_samples, n_features)

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        self.pca_ = fit_pca(features, self.n_bits, self.seed)

    def _project(self, features: np.ndarray) -> np.ndarray:
        return self.pca_.transform(features)
