"""Shared test helpers: small random codes, labels and naive reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("book", max_examples=40, deadline=None)
settings.load_profile("book")


def naive_distances(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Hamming distances by counting differing bits one by one."""
    return (queries[:, None, :] != database[None, :, :]).sum(axis=2)


def random_bits(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    return rng.integers(0, 2, size=(n, bits), dtype=np.uint8)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
