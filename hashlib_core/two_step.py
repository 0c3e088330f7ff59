"""Two-step search over a database sorted by code: a Hamming pool complete under ties, then cosine re-ranking.

Introduced in the Li & Li chapter (its CPU-time study). A query's pool is
every database item at most as far (Hamming) from it as its ``pool``-th
nearest code, so the pool is complete under ties and does not depend on the
order the database was stored in. (The first ``pool`` items in index order,
:func:`hashlib_core.search.coarse_to_fine_search`, are an arbitrary part of a
tied group when codes cluster, as a classifier's latent codes do.)

:class:`TwoStepIndex` stores the database sorted by code (stable: index order
within a code), its unit-length features in that order and each distinct
code's range of rows, like a hash table keyed by code. A search

1. ranks the distinct codes (few when codes cluster) by Hamming distance to
   each query, takes the radius that holds ``pool`` items and the distinct
   codes within it: contiguous row ranges of the sorted features;
2. re-ranks queries with the same candidate ranges together: one matrix
   product (BLAS) of their unit features with the candidates', top ``k`` by
   cosine similarity, ties by database index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codes import PackedCodes, as_numpy, as_packed
from .search import hamming_distance_chunks

__all__ = ["TwoStepIndex"]

_QUERIES_PER_PRODUCT = 256  # queries per matrix product: bounds the score matrix (256 x pool floats)


def _unit_rows(features: Any, name: str) -> np.ndarray:
    array = as_numpy(features, name).astype(np.float32, copy=False)
    if array.ndim != 2 or array.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D (n, dims) array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)


class TwoStepIndex:
    """Codes and real-valued features of a database, sorted by code, for :meth:`search`.

    ``codes``: :class:`~hashlib_core.codes.PackedCodes` or a bit matrix;
    ``features``: ``(n, dims)`` float, one row per code (the layer the cosine
    step compares, e.g. F4). Building it sorts and normalises once, as
    ``faiss.IndexFlatIP`` needs unit-length vectors added once.
    """

    def __init__(self, codes: Any, features: Any) -> None:
        packed = as_packed(codes, "codes")
        unit = _unit_rows(features, "features")
        if len(packed) != len(unit):
            raise ValueError(f"need one feature row per code, got {len(packed)} codes and {len(unit)} feature rows")
        if len(packed) == 0:
            raise ValueError("the database is empty: give at least one code")
        if packed.words.shape[1] == 1:  # one word per code: a 1-D sort, several times faster than rows
            distinct, inverse, counts = np.unique(packed.words[:, 0], return_inverse=True, return_counts=True)
            distinct = distinct[:, None]
        else:
            distinct, inverse, counts = np.unique(packed.words, axis=0, return_inverse=True, return_counts=True)
        self.order = np.argsort(inverse.reshape(-1), kind="stable")  # sorted row -> database index
        self.unit = np.ascontiguousarray(unit[self.order])
        self.distinct = PackedCodes(np.ascontiguousarray(distinct), packed.n_bits)
        self.counts = counts.astype(np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)])
        self.dims = unit.shape[1]

    def __len__(self) -> int:
        return len(self.order)

    def _balls(self, query_codes: PackedCodes, pool: int) -> list[np.ndarray]:
        """Per query, the distinct codes within the radius that holds at least ``pool`` items (all when fewer)."""
        n_bits = self.distinct.n_bits
        balls = []
        for _, block in hamming_distance_chunks(query_codes, self.distinct):
            for distances in block:
                per_distance = np.bincount(distances, weights=self.counts, minlength=n_bits + 1).cumsum()
                radius = min(int(np.searchsorted(per_distance, pool)), n_bits)
                balls.append(np.flatnonzero(distances <= radius))
        return balls

    def search(self, query_codes: Any, query_features: Any, k: int, pool: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Per query, the top ``k`` database indices by cosine similarity among its pool (every item at most as
        far as the ``pool``-th nearest code), ties by database index; and each query's pool size."""
        for name, value in (("k", k), ("pool", pool)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        codes = as_packed(query_codes, "query_codes")
        if codes.n_bits != self.distinct.n_bits:
            raise ValueError(f"code lengths differ: queries have {codes.n_bits} bits, the index {self.distinct.n_bits}")
        unit_queries = _unit_rows(query_features, "query_features")
        if len(unit_queries) != len(codes) or unit_queries.shape[1] != self.dims:
            raise ValueError(f"need one {self.dims}-d feature row per query code, got {len(codes)} codes and "
                             f"features of shape {unit_queries.shape}")
        groups: dict[bytes, list[int]] = {}
        balls = self._balls(codes, pool)
        for query, ball in enumerate(balls):
            groups.setdefault(ball.tobytes(), []).append(query)
        results: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(codes)
        sizes = np.zeros(len(codes), dtype=np.int64)
        for members in groups.values():
            ball = balls[members[0]]
            rows = np.concatenate([np.arange(self.starts[code], self.starts[code + 1]) for code in ball])
            candidates, indices = self.unit[rows], self.order[rows]
            sizes[members] = len(rows)
            for first in range(0, len(members), _QUERIES_PER_PRODUCT):
                chunk = members[first:first + _QUERIES_PER_PRODUCT]
                scores = unit_queries[chunk] @ candidates.T
                for query, row in zip(chunk, scores):
                    results[query] = _top_by_score(row, indices, k)
        return results, sizes


def _top_by_score(scores: np.ndarray, indices: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` indices with the highest scores, equal scores by index."""
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        kept = np.flatnonzero(scores >= kth)
        scores, indices = scores[kept], indices[kept]
    order = np.lexsort((indices, -scores))[:k]
    return indices[order]
