"""Hamming search: distances, ranking, radius lookup, coarse-to-fine re-ranking.

Introduced in the introduction chapter; every chapter uses it.

Tie policy (one convention for the whole book)
----------------------------------------------
Hamming distances take only ``bits + 1`` values, so many database items tie.
Every ranking here orders items by ``(distance, database index)``: among
equal distances the item stored first wins (``ties="index"``, the default).
``ties="random"`` instead breaks ties by a seeded random permutation of the
database, which is what an implementation with an unstable sort does in
effect; :func:`hashlib_core.metrics.hamming_average_precision` also offers
the exact expectation over all random tie orders.

Backends
--------
``"numba"`` (default): compiled popcount loops, one query per thread, any code
length. ``"faiss"``: ``faiss.IndexBinaryFlat`` (code lengths that are
multiples of 8), post-processed so that it returns exactly the same
neighbours and order as the default backend.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Literal

import numpy as np

from . import _kernels
from .codes import PackedCodes, as_numpy, as_packed

__all__ = [
    "hamming_distances",
    "feature_distances",
    "hamming_distance_chunks",
    "hamming_rank",
    "hamming_lookup",
    "feature_rank",
    "coarse_to_fine_search",
    "HammingIndex",
]

TiePolicy = Literal["index", "random"]


def _check_pair(queries: Any, database: Any) -> tuple[PackedCodes, PackedCodes]:
    query_codes = as_packed(queries, "queries")
    database_codes = as_packed(database, "database")
    if query_codes.n_bits != database_codes.n_bits:
        raise ValueError(f"code lengths differ: queries have {query_codes.n_bits} bits, "
                         f"the database has {database_codes.n_bits} bits")
    if len(database_codes) == 0:
        raise ValueError("the database is empty: add codes before searching")
    return query_codes, database_codes


def _check_k(k: int, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name} must be a positive integer, got {k!r}")
    return int(k)


def _tie_permutation(n: int, ties: TiePolicy, seed: int) -> np.ndarray | None:
    if ties == "index":
        return None
    if ties == "random":
        return np.random.default_rng(seed).permutation(n)
    raise ValueError(f"ties must be 'index' or 'random', got {ties!r}")


DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB for a distance matrix or chunk


def hamming_distances(queries: Any, database: Any, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """All pairwise Hamming distances, ``(n_queries, n_database) uint16``.

    ``queries``/``database``: :class:`PackedCodes` or {0,1} bit matrices of the
    same code length. The full matrix costs 2 bytes per pair; above
    ``max_bytes`` this raises ``ValueError`` and points to
    :func:`hamming_distance_chunks`. Ranking and the metrics never build it.
    """
    query_codes, database_codes = _check_pair(queries, database)
    needed = 2 * len(query_codes) * len(database_codes)
    if needed > max_bytes:
        raise ValueError(f"a {len(query_codes)} x {len(database_codes)} distance matrix needs "
                         f"{needed / 2**30:.1f} GiB (max_bytes={max_bytes}); iterate over "
                         "hamming_distance_chunks(...), or use hamming_rank with a k / the metrics instead")
    return _distance_block(query_codes, database_codes)


def _distance_block(query_codes: PackedCodes, database_codes: PackedCodes) -> np.ndarray:
    out = np.empty((len(query_codes), len(database_codes)), dtype=np.uint16)
    _kernels.distance_matrix(query_codes.words, database_codes.words, out)
    return out


def hamming_distance_chunks(queries: Any, database: Any, *,
                            max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(query_rows, distances)`` blocks of the distance matrix, each at most ``max_bytes``.

    Memory stays bounded for any number of queries (10k x 1M included);
    ``distances`` is ``(rows, n_database) uint16`` for ``queries[query_rows]``
    (at least one row per chunk, even when one row exceeds ``max_bytes``).
    """
    query_codes, database_codes = _check_pair(queries, database)
    rows_per_chunk = max(1, max_bytes // (2 * len(database_codes)))
    for start in range(0, len(query_codes), rows_per_chunk):
        rows = slice(start, min(start + rows_per_chunk, len(query_codes)))
        yield rows, _distance_block(query_codes[rows], database_codes)


def _check_output_size(n_queries: int, depth: int, bytes_per_pair: int, max_bytes: int, what: str) -> None:
    needed = n_queries * depth * bytes_per_pair
    if needed > max_bytes:
        raise ValueError(f"{what} of {n_queries:,} queries x {depth:,} results needs {needed / 2**30:.1f} GiB "
                         f"(max_bytes={max_bytes}); pass a smaller k, rank fewer queries at a time, or raise "
                         "max_bytes if the memory is there")


def hamming_rank(queries: Any, database: Any, k: int | None = None, *, ties: TiePolicy = "index",
                 seed: int = 0, max_bytes: int = 4 * DEFAULT_MAX_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Rank the database by Hamming distance to each query.

    Returns ``(indices, distances)``, both ``(n_queries, k)`` (``k=None`` or a
    ``k`` beyond the database size: the whole database), ``int64``, sorted by distance with ties broken by
    database index (``ties="index"``) or by a random permutation drawn from
    ``seed`` (``ties="random"``). Memory: the output only (16 bytes per result; above
    ``max_bytes`` a ``ValueError`` says what to do); the top-k path keeps O(k) candidates per query.
    """
    query_codes, database_codes = _check_pair(queries, database)
    n_database = len(database_codes)
    if k is not None:
        _check_k(k)
    _check_output_size(len(query_codes), n_database if k is None else min(int(k), n_database), 16, max_bytes,
                       "hamming_rank")
    permutation = _tie_permutation(n_database, ties, seed)
    if permutation is not None:
        database_codes = database_codes[permutation]
    if k is not None:
        _check_k(k)
    if k is None or k >= n_database:
        indices = np.empty((len(query_codes), n_database), dtype=np.int64)
        distances = np.empty_like(indices)
        _kernels.full_rank(query_codes.words, database_codes.words, query_codes.n_bits, indices, distances)
    else:
        depth = _check_k(k)
        indices = np.empty((len(query_codes), depth), dtype=np.int64)
        distances = np.empty_like(indices)
        _kernels.top_k(query_codes.words, database_codes.words, query_codes.n_bits, depth, indices, distances)
    if permutation is not None:
        indices = permutation[indices]
    return indices, distances


def hamming_lookup(queries: Any, database: Any, radius: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hash lookup: every database item within Hamming distance ``<= radius``.

    Returns one ``(indices, distances)`` pair of ``int64`` arrays per query,
    sorted by ``(distance, index)``; a query with no item in range gets two
    empty arrays. Unlike faiss' ``range_search`` the radius is inclusive.
    """
    query_codes, database_codes = _check_pair(queries, database)
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    counts = np.empty(len(query_codes), dtype=np.int64)
    _kernels.within_radius_counts(query_codes.words, database_codes.words, int(radius), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    flat_index = np.empty(offsets[-1], dtype=np.int64)
    flat_distance = np.empty(offsets[-1], dtype=np.int64)
    _kernels.within_radius_fill(query_codes.words, database_codes.words, int(radius), offsets,
                                flat_index, flat_distance)
    results = []
    for start, stop in zip(offsets[:-1], offsets[1:]):
        order = np.argsort(flat_distance[start:stop], kind="stable")
        results.append((flat_index[start:stop][order], flat_distance[start:stop][order]))
    return results


def _check_features(features: Any, name: str) -> np.ndarray:
    array = as_numpy(features, name).astype(np.float32, copy=False)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, dims) array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return array


def feature_distances(query_features: np.ndarray, candidate_features: np.ndarray,
                      metric: str = "euclidean") -> np.ndarray:
    """(n_queries, n_candidates) float32 distances: squared Euclidean (BLAS, no sqrt) or cosine.

    Inputs are trusted float32 2-D arrays (the public functions below check them).
    """
    if metric == "euclidean":
        squared = (np.einsum("ij,ij->i", query_features, query_features)[:, None]
                   - 2.0 * query_features @ candidate_features.T
                   + np.einsum("ij,ij->i", candidate_features, candidate_features)[None, :])
        return np.maximum(squared, 0.0)  # squared distance: same order, no sqrt
    if metric == "cosine":
        query_norm = np.linalg.norm(query_features, axis=1, keepdims=True)
        candidate_norm = np.linalg.norm(candidate_features, axis=1, keepdims=True)
        return 1.0 - (query_features / np.maximum(query_norm, 1e-12)) @ \
            (candidate_features / np.maximum(candidate_norm, 1e-12)).T
    raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}")


def feature_rank(query_features: Any, database_features: Any, k: int | None = None, *,
                 metric: str = "euclidean", chunk_size: int = 256,
                 max_bytes: int = 4 * DEFAULT_MAX_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive ranking on real-valued features (e.g. L2 on a network layer).

    Returns ``(indices, distances)`` of shape ``(n_queries, k)``; ``distances``
    are squared Euclidean or cosine distances (float32); ties keep database
    index order (stable sort), as in :func:`hamming_rank`. The output costs 12
    bytes per result; above ``max_bytes`` a ``ValueError`` says what to do.
    """
    queries = _check_features(query_features, "query_features")
    database = _check_features(database_features, "database_features")
    if queries.shape[1] != database.shape[1]:
        raise ValueError(f"feature sizes differ: queries have {queries.shape[1]} dims, "
                         f"the database {database.shape[1]}")
    if len(database) == 0:
        raise ValueError("the database is empty")
    depth = len(database) if k is None else min(_check_k(k), len(database))
    _check_output_size(len(queries), depth, 12, max_bytes, "feature_rank")
    indices = np.empty((len(queries), depth), dtype=np.int64)
    distances = np.empty((len(queries), depth), dtype=np.float32)
    for start in range(0, len(queries), chunk_size):
        block = feature_distances(queries[start:start + chunk_size], database, metric)
        if depth < len(database):
            # partition to the k smallest, then a stable sort of those by (distance, index)
            part = np.argpartition(block, depth - 1, axis=1)[:, :depth]
            kth = np.take_along_axis(block, part, 1).max(axis=1, keepdims=True)
            for row in range(block.shape[0]):
                candidates = np.flatnonzero(block[row] <= kth[row])
                order = np.argsort(block[row, candidates], kind="stable")[:depth]
                indices[start + row] = candidates[order]
        else:
            indices[start:start + len(block)] = np.argsort(block, axis=1, kind="stable")
        distances[start:start + len(block)] = np.take_along_axis(block, indices[start:start + len(block)], 1)
    return indices, distances


def coarse_to_fine_search(query_codes: Any, database_codes: Any, query_features: Any,
                          database_features: Any, k: int, *, pool_size: int | None = None,
                          radius: int | None = None, metric: str = "euclidean") -> list[np.ndarray]:
    """Hierarchical search (DLBHC, Lin et al. 2015, Sec. 3.3): Hamming candidates, feature re-ranking.

    The coarse step takes either the ``pool_size`` nearest codes
    (:func:`hamming_rank` order) or every code within Hamming ``radius``
    (:func:`hamming_lookup`); the fine step orders those candidates by
    ``metric`` on the real-valued features, ties by database index. Returns
    one ``int64`` index array per query, at most ``k`` long (shorter when the
    radius yields fewer candidates).
    """
    if (pool_size is None) == (radius is None):
        raise ValueError("give exactly one of pool_size (a candidate count) or radius (a Hamming threshold)")
    depth = _check_k(k)
    queries_f = _check_features(query_features, "query_features")
    database_f = _check_features(database_features, "database_features")
    query_packed, database_packed = _check_pair(query_codes, database_codes)
    if len(queries_f) != len(query_packed) or len(database_f) != len(database_packed):
        raise ValueError(f"codes and features disagree in length: {len(query_packed)} query codes vs "
                         f"{len(queries_f)} query features, {len(database_packed)} database codes vs "
                         f"{len(database_f)} database features")
    if pool_size is not None:
        pool_indices, _ = hamming_rank(query_packed, database_packed, _check_k(pool_size, "pool_size"))
        pools = list(pool_indices)
    else:
        pools = [indices for indices, _ in hamming_lookup(query_packed, database_packed, radius)]
    results = []
    for row, pool in enumerate(pools):
        pool = np.sort(pool)  # index order, so the stable sort breaks feature ties by index
        distances = feature_distances(queries_f[row:row + 1], database_f[pool], metric)[0]
        results.append(pool[np.argsort(distances, kind="stable")[:depth]])
    return results


class HammingIndex:
    """A faiss-style index over binary codes: ``add`` codes, then ``search``/``range_search``.

    ``backend="numba"`` works for any code length; ``backend="faiss"`` wraps
    ``faiss.IndexBinaryFlat`` (multiples of 8 bits) and returns identical
    neighbours in identical order (ties by database index).
    """

    def __init__(self, n_bits: int, backend: Literal["numba", "faiss"] = "numba") -> None:
        if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits < 1:
            raise ValueError(f"n_bits must be a positive integer, got {n_bits!r}")
        if backend not in ("numba", "faiss"):
            raise ValueError(f"backend must be 'numba' or 'faiss', got {backend!r}")
        if backend == "faiss" and n_bits % 8:
            raise ValueError(f"the faiss backend needs a multiple of 8 bits, got {n_bits}; use backend='numba'")
        self.n_bits = int(n_bits)
        self.backend = backend
        self._pending: list[np.ndarray] = []  # added words not yet joined into the database
        self._words = np.empty((0, (self.n_bits + 63) // 64), dtype=np.uint64)
        self._faiss_index = None

    def __len__(self) -> int:
        return len(self._words) + sum(len(words) for words in self._pending)

    def add(self, codes: Any) -> "HammingIndex":
        """Append codes (:class:`PackedCodes` or a bit matrix) to the database."""
        packed = as_packed(codes, "codes")
        if packed.n_bits != self.n_bits:
            raise ValueError(f"this index holds {self.n_bits}-bit codes, got {packed.n_bits}-bit codes")
        self._pending.append(packed.words)
        if self.backend == "faiss":
            if self._faiss_index is None:
                self._faiss_index = _new_faiss_index(self.n_bits)
            self._faiss_index.add(packed.to_bytes())
        return self

    def _require_database(self) -> PackedCodes:
        if self._pending:  # join once per search after any number of adds
            self._words = np.ascontiguousarray(np.concatenate([self._words, *self._pending]))
            self._pending = []
        if len(self._words) == 0:
            raise ValueError("the index is empty: call add(codes) before searching")
        return PackedCodes(self._words, self.n_bits)

    def search(self, queries: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k neighbours: ``(distances, indices)``, faiss' return order, ties by index."""
        database = self._require_database()
        query_codes, _ = _check_pair(queries, database)
        if self.backend == "numba":
            indices, distances = hamming_rank(query_codes, database, k)
            return distances, indices
        return _faiss_search_index_order(self._faiss_index, query_codes, min(_check_k(k), len(database)))

    def range_search(self, queries: Any, radius: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """All items within Hamming distance ``<= radius`` (inclusive): per query ``(indices, distances)``."""
        return hamming_lookup(queries, self._require_database(), radius)


def _new_faiss_index(n_bits: int):
    import faiss

    # Busy-waiting OpenMP threads collapse when another process loads the cores.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return faiss.IndexBinaryFlat(n_bits)


def _faiss_search_index_order(index, queries: PackedCodes, k: int) -> tuple[np.ndarray, np.ndarray]:
    """faiss top-k, then the tied items at the k-th distance replaced by the lowest database indices.

    faiss orders ties by its heap, not by index. Everything strictly closer
    than the k-th distance is the same set either way; for queries whose k-th
    distance is shared beyond the top k, a range search (faiss' radius is
    exclusive, hence +1) fetches all items up to that distance and the result
    is re-sorted by (distance, index).
    """
    query_bytes = queries.to_bytes()
    distances, indices = index.search(query_bytes, k)
    distances = distances.astype(np.int64)
    indices = indices.astype(np.int64)
    kth = distances[:, -1]
    # Queries sharing a k-th distance share one range search: about one extra scan in all.
    for distance in np.unique(kth):
        rows = np.flatnonzero(kth == distance)
        limits, found_distances, found_indices = index.range_search(query_bytes[rows], int(distance) + 1)
        for position, row in enumerate(rows):
            start, stop = limits[position], limits[position + 1]
            candidate_distance = found_distances[start:stop].astype(np.int64)
            candidate_index = found_indices[start:stop].astype(np.int64)
            order = np.lexsort((candidate_index, candidate_distance))[:k]
            indices[row] = candidate_index[order]
            distances[row] = candidate_distance[order]
    return distances, indices
