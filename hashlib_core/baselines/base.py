"""The interface every classic hashing method shares (scikit-learn style).

``method = LSH(n_bits=32, seed=0).fit(train_features)``, then
``method.encode(features)`` -> ``(n, n_bits) uint8`` bits in {0, 1}, ready for
:mod:`hashlib_core.search` and :mod:`hashlib_core.metrics`. Learned state ends
with ``_``. Input checks live here, once, for all methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..codes import as_numpy

__all__ = ["HashingMethod"]


class HashingMethod:
    """Base class: validates inputs and dispatches to ``_fit`` / ``_encode``."""

    supervised = False

    def __init__(self, n_bits: int, seed: int = 0) -> None:
        if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits < 1:
            raise ValueError(f"n_bits must be a positive integer, got {n_bits!r}")
        self.n_bits = int(n_bits)
        self.seed = seed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_bits={self.n_bits}, seed={self.seed})"

    def _minimum_samples(self) -> int:
        return 2

    def _maximum_bits(self, n_samples: int, n_features: int) -> int | None:
        """Largest code length this method supports for the given data (None: no limit)."""
        return None

    def fit(self, features: Any, labels: Any = None) -> "HashingMethod":
        """Learn the hash functions from ``(n, d)`` float features (and ``(n,)`` labels if supervised)."""
        data = _check_features(features, "features")
        n_samples, n_features = data.shape
        if n_samples < self._minimum_samples():
            raise ValueError(f"{type(self).__name__} needs at least {self._minimum_samples()} training samples, "
                             f"got {n_samples}")
        limit = self._maximum_bits(n_samples, n_features)
        if limit is not None and self.n_bits > limit:
            raise ValueError(f"{type(self).__name__} can give at most {limit} bits for {n_samples} samples of "
                             f"{n_features} dimensions (PCA keeps min(samples, dims) directions), "
                             f"{self.n_bits} requested")
        targets = None
        if self.supervised:
            if labels is None:
                raise ValueError(f"{type(self).__name__} is supervised: pass labels to fit(features, labels)")
            targets = as_numpy(labels, "labels")
            if targets.shape != (n_samples,) or not np.issubdtype(targets.dtype, np.integer):
                raise ValueError(f"labels must be ({n_samples},) integer class ids, got {targets.dtype} "
                                 f"{targets.shape}")
        self._fit(data.astype(np.float64), targets)
        self.n_features_in_ = n_features
        return self

    def encode(self, features: Any) -> np.ndarray:
        """Binary codes ``(n, n_bits) uint8`` in {0, 1} for ``(n, d)`` features."""
        if not hasattr(self, "n_features_in_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(train_features) first")
        data = _check_features(features, "features")
        if data.shape[1] != self.n_features_in_:
            raise ValueError(f"{type(self).__name__} was fitted on {self.n_features_in_}-dimensional features, "
                             f"got {data.shape[1]} dimensions")
        return (self._project(data.astype(np.float64)) > 0).astype(np.uint8)

    def _fit(self, features: np.ndarray, labels: np.ndarray | None) -> None:
        raise NotImplementedError

    def _project(self, features: np.ndarray) -> np.ndarray:
        """Real values whose signs are the bits."""
        raise NotImplementedError


def _check_features(features: Any, name: str) -> np.ndarray:
    data = as_numpy(features, name)
    if data.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, d) array, got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number) or not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite numbers (no NaN or inf)")
    return data
