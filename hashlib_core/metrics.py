r"""Retrieval metrics, each with its formula and convention.

Introduced in the introduction chapter; every chapter reports them.

Relevance
    Query :math:`q` and database item :math:`x` are relevant when they share at
    least one label. Labels are either ``(n,)`` integer class ids (single-label)
    or ``(n, classes)`` 0/1 indicator rows (multi-label).

Average precision at depth :math:`k` (``k=None``: the whole database)
    .. math:: \mathrm{AP@}k(q) = \frac{1}{R_k(q)} \sum_{r=1}^{k} P(r)\,\mathrm{rel}(r),
              \qquad P(r) = \frac{1}{r}\sum_{s \le r} \mathrm{rel}(s)

    :math:`R_k(q)` is the number of relevant items **retrieved in the top k**
    (the convention of the DLBHC release and most hashing code); at full depth
    it is the number of relevant items in the database. A query with no
    relevant item in its top k has AP 0 (it is *not* dropped from the mean).
    mAP is the mean over all queries.

Tie policies for Hamming rankings
    ``"index"``: equal distances are ordered by database index (the book's
    default, :mod:`hashlib_core.search`); ``"random"``: by a seeded random
    permutation; ``"expected"``: the exact expectation of AP over all orders of
    tied items (McSherry & Najork, ECIR 2008). At depth :math:`k <` database
    size the expected AP divides the expected sum of precisions by the expected
    :math:`R_k` (a ratio of expectations).

Precision and recall at k
    :math:`P@k = \frac{1}{k}\sum_{r\le k}\mathrm{rel}(r)`,
    :math:`R@k = \frac{1}{|\mathrm{Rel}(q)|}\sum_{r\le k}\mathrm{rel}(r)`
    (recall is 0 for a query with no relevant item), averaged over queries.

Precision and recall within Hamming radius r (hash lookup)
    Retrieved set :math:`S_r(q) = \{x : d_H(q, x) \le r\}`;
    :math:`P_r = |S_r \cap \mathrm{Rel}| / |S_r|`, **0 when** :math:`S_r` **is
    empty** (a lookup that returns nothing has failed, as in CNNH and DLBHC);
    :math:`R_r = |S_r \cap \mathrm{Rel}| / |\mathrm{Rel}|`. Both averaged over
    queries. The PR curve sweeps :math:`r = 0 \dots` bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Literal, Sequence

import numpy as np

from . import _kernels
from .codes import PackedCodes, as_numpy, as_packed
from .search import _check_pair, _tie_permutation

__all__ = [
    "label_masks",
    "relevance_matrix",
    "ranked_list_relevance",
    "average_precision",
    "precision_at_k",
    "recall_at_k",
    "hamming_average_precision",
    "hamming_map",
    "hamming_precision_recall_at_k",
    "hamming_radius_curve",
    "precision_within_radius",
    "RadiusCurve",
]

HammingTies = Literal["index", "random", "expected"]


def label_masks(labels: Any, name: str = "labels") -> np.ndarray:
    """Pack labels into ``(n, words) uint64`` class bitmasks (bit c set = class c present).

    ``labels``: ``(n,)`` non-negative integer class ids or ``(n, classes)`` 0/1 rows.
    """
    array = as_numpy(labels, name)
    if array.ndim == 1:
        if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0):
            raise ValueError(f"{name}: single-label data needs non-negative integer class ids, "
                             f"got dtype {array.dtype}")
        n_classes = int(array.max()) + 1 if array.size else 1
        indicators = np.zeros((len(array), n_classes), dtype=np.uint8)
        indicators[np.arange(len(array)), array] = 1
    elif array.ndim == 2:
        if array.size and not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name}: multi-label rows must be 0/1 indicators")
        indicators = array.astype(np.uint8)
    else:
        raise ValueError(f"{name} must be (n,) class ids or (n, classes) indicators, got shape {array.shape}")
    return as_packed(indicators if indicators.shape[1] else np.zeros((len(array), 1), np.uint8), name).words


def _paired_masks(query_labels: Any, database_labels: Any, n_queries: int,
                  n_database: int) -> tuple[np.ndarray, np.ndarray]:
    query_masks = label_masks(query_labels, "query_labels")
    database_masks = label_masks(database_labels, "database_labels")
    if len(query_masks) != n_queries:
        raise ValueError(f"query_labels has {len(query_masks)} rows but there are {n_queries} queries")
    if len(database_masks) != n_database:
        raise ValueError(f"database_labels has {len(database_masks)} rows but the database has "
                         f"{n_database} items")
    words = max(query_masks.shape[1], database_masks.shape[1])
    pad = lambda masks: np.ascontiguousarray(np.pad(masks, ((0, 0), (0, words - masks.shape[1]))))
    return pad(query_masks), pad(database_masks)


def relevance_matrix(query_labels: Any, database_labels: Any) -> np.ndarray:
    """``(n_queries, n_database) bool``: True where the two items share a label."""
    query_masks = label_masks(query_labels, "query_labels")
    database_masks = label_masks(database_labels, "database_labels")
    words = min(query_masks.shape[1], database_masks.shape[1])
    shared = np.zeros((len(query_masks), len(database_masks)), dtype=bool)
    for w in range(words):
        shared |= (query_masks[:, w, None] & database_masks[None, :, w]) != 0
    return shared


def _check_ranked_relevance(ranked_relevance: Any) -> np.ndarray:
    array = as_numpy(ranked_relevance, "ranked_relevance")
    if array.ndim != 2:
        raise ValueError(f"ranked_relevance must be (n_queries, depth), got shape {array.shape}")
    if array.dtype != bool:
        if array.size and not np.isin(array, (0, 1)).all():
            raise ValueError("ranked_relevance must hold booleans or 0/1")
        array = array.astype(bool)
    return array


def _check_ks(ks: Iterable[int], limit: int | None = None) -> np.ndarray:
    values = np.atleast_1d(np.asarray(list(ks) if not np.isscalar(ks) else [ks]))
    if values.size == 0 or not np.issubdtype(values.dtype, np.integer) or (values < 1).any():
        raise ValueError(f"k values must be positive integers, got {values.tolist()}")
    if limit is not None and (values > limit).any():
        raise ValueError(f"k values {values[values > limit].tolist()} exceed the ranking depth {limit}")
    return values.astype(np.int64)


def ranked_list_relevance(ranked_lists: Sequence[Any], query_labels: Any, database_labels: Any,
                          depth: int) -> np.ndarray:
    """Relevance of per-query result lists of any length, padded with False to ``depth``.

    ``ranked_lists[i]``: database indices returned for query ``i``, best first
    (e.g. from :func:`hashlib_core.search.coarse_to_fine_search`, whose lists
    are shorter when a Hamming threshold finds few candidates). Returns
    ``(n_queries, depth)`` bool, so :func:`precision_at_k` counts a missing
    result as a miss: P@k = relevant among the returned first k, divided by k.
    """
    query_masks, database_masks = _paired_masks(query_labels, database_labels, len(ranked_lists),
                                                len(as_numpy(database_labels, "database_labels")))
    depth = int(_check_ks([depth])[0])
    relevance = np.zeros((len(ranked_lists), depth), dtype=bool)
    for row, indices in enumerate(ranked_lists):
        returned = np.asarray(indices, dtype=np.int64)[:depth]
        relevance[row, :len(returned)] = ((database_masks[returned] & query_masks[row]) != 0).any(axis=1)
    return relevance


def average_precision(ranked_relevance: Any, k: int | None = None) -> np.ndarray:
    """Per-query AP@k of given rankings (module docstring for the formula).

    ``ranked_relevance``: ``(n_queries, depth)`` bool, ``[i, r]`` = the item at
    rank ``r+1`` for query ``i`` is relevant. Normalised by the relevant items
    retrieved within the first ``k`` (default: all ``depth``) columns.
    """
    relevance = _check_ranked_relevance(ranked_relevance)
    if k is not None:
        relevance = relevance[:, : int(_check_ks([k])[0])]
    hits = np.cumsum(relevance, axis=1)
    ranks = np.arange(1, relevance.shape[1] + 1)
    precision_sum = np.where(relevance, hits / ranks, 0.0).sum(axis=1)
    retrieved = hits[:, -1] if relevance.shape[1] else np.zeros(len(relevance))
    return np.divide(precision_sum, retrieved, out=np.zeros(len(relevance)), where=retrieved > 0)


def precision_at_k(ranked_relevance: Any, ks: Sequence[int]) -> np.ndarray:
    """Mean precision@k over queries for each ``k`` in ``ks``: ``(len(ks),)`` float."""
    relevance = _check_ranked_relevance(ranked_relevance)
    values = _check_ks(ks, relevance.shape[1])
    hits = np.cumsum(relevance, axis=1)
    return (hits[:, values - 1] / values).mean(axis=0)


def recall_at_k(ranked_relevance: Any, n_relevant: Any, ks: Sequence[int]) -> np.ndarray:
    """Mean recall@k for each ``k``; ``n_relevant``: ``(n_queries,)`` relevant items per query."""
    relevance = _check_ranked_relevance(ranked_relevance)
    values = _check_ks(ks, relevance.shape[1])
    totals = as_numpy(n_relevant, "n_relevant").astype(np.float64)
    if totals.shape != (len(relevance),):
        raise ValueError(f"n_relevant must have one entry per query ({len(relevance)}), got {totals.shape}")
    hits = np.cumsum(relevance, axis=1)[:, values - 1]
    return np.divide(hits, totals[:, None], out=np.zeros(hits.shape), where=totals[:, None] > 0).mean(axis=0)


@lru_cache(maxsize=4)
def _harmonic_numbers(n: int) -> np.ndarray:
    harmonic = np.zeros(n + 1)
    harmonic[1:] = np.cumsum(1.0 / np.arange(1, n + 1))
    return harmonic


def _histograms(query_codes: PackedCodes, database_codes: PackedCodes, query_masks: np.ndarray,
                database_masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = np.zeros((len(query_codes), query_codes.n_bits + 1), dtype=np.int64)
    relevant = np.zeros_like(total)
    _kernels.distance_histograms(query_codes.words, database_codes.words, query_masks, database_masks,
                                 query_codes.n_bits, total, relevant)
    return total, relevant


def _prepare(query_codes: Any, database_codes: Any, query_labels: Any,
             database_labels: Any) -> tuple[PackedCodes, PackedCodes, np.ndarray, np.ndarray]:
    queries, database = _check_pair(query_codes, database_codes)
    query_masks, database_masks = _paired_masks(query_labels, database_labels, len(queries), len(database))
    return queries, database, query_masks, database_masks


def hamming_average_precision(query_codes: Any, database_codes: Any, query_labels: Any,
                              database_labels: Any, k: int | None = None, *,
                              ties: HammingTies = "index", seed: int = 0) -> np.ndarray:
    """Per-query AP@k of the Hamming ranking, ``(n_queries,)`` float64.

    Codes: :class:`PackedCodes` or {0,1} bit matrices; labels as in
    :func:`label_masks`. ``k=None`` ranks the whole database. ``ties`` picks the
    tie policy (module docstring). Runs in O(n_queries x n_database) without
    sorting or allocating a distance matrix.
    """
    queries, database, query_masks, database_masks = _prepare(query_codes, database_codes,
                                                              query_labels, database_labels)
    depth = len(database) if k is None else min(int(_check_ks([k])[0]), len(database))
    if ties == "expected":
        total, relevant = _histograms(queries, database, query_masks, database_masks)
        ap = np.empty(len(queries))
        _kernels.tie_aware_average_precision(total, relevant, depth, _harmonic_numbers(len(database)), ap)
        return ap
    permutation = _tie_permutation(len(database), ties, seed)
    if permutation is not None:
        database, database_masks = database[permutation], np.ascontiguousarray(database_masks[permutation])
    ap = np.empty(len(queries))
    no_hits = np.zeros((len(queries), 0), dtype=np.int64)
    _kernels.index_order_metrics(queries.words, database.words, query_masks, database_masks,
                                 queries.n_bits, depth, 0, ap, no_hits, np.empty(len(queries), np.int64))
    return ap


def hamming_map(query_codes: Any, database_codes: Any, query_labels: Any, database_labels: Any,
                k: int | None = None, *, ties: HammingTies = "index", seed: int = 0) -> float:
    """mAP@k of the Hamming ranking: the mean of :func:`hamming_average_precision`."""
    return float(hamming_average_precision(query_codes, database_codes, query_labels, database_labels, k,
                                           ties=ties, seed=seed).mean())


def hamming_precision_recall_at_k(query_codes: Any, database_codes: Any, query_labels: Any,
                                  database_labels: Any, ks: Sequence[int], *,
                                  ties: Literal["index", "random"] = "index",
                                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean precision@k and recall@k of the Hamming ranking for each ``k``: two ``(len(ks),)`` arrays.

    "Precision vs number of returned images" curves (CNNBH Fig. 4, DLBHC Fig. 4)
    come from here. ``k`` larger than the database is an error.
    """
    queries, database, query_masks, database_masks = _prepare(query_codes, database_codes,
                                                              query_labels, database_labels)
    values = _check_ks(ks, len(database))
    permutation = _tie_permutation(len(database), ties, seed)
    if permutation is not None:
        database, database_masks = database[permutation], np.ascontiguousarray(database_masks[permutation])
    ap = np.empty(len(queries))
    hits = np.zeros((len(queries), int(values.max())), dtype=np.int64)
    n_relevant = np.empty(len(queries), dtype=np.int64)
    _kernels.index_order_metrics(queries.words, database.words, query_masks, database_masks,
                                 queries.n_bits, len(database), hits.shape[1], ap, hits, n_relevant)
    hits_at = hits[:, values - 1]
    precision = (hits_at / values).mean(axis=0)
    recall = np.divide(hits_at, n_relevant[:, None], out=np.zeros(hits_at.shape),
                       where=n_relevant[:, None] > 0).mean(axis=0)
    return precision, recall


@dataclass(frozen=True)
class RadiusCurve:
    """Precision and recall of hash lookup at every Hamming radius 0..bits (arrays of length bits+1).

    ``retrieved`` is the mean number of items returned; ``empty_fraction`` the
    share of queries whose lookup returned nothing (precision counted as 0).
    """

    radius: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    retrieved: np.ndarray
    empty_fraction: np.ndarray


def hamming_radius_curve(query_codes: Any, database_codes: Any, query_labels: Any,
                         database_labels: Any) -> RadiusCurve:
    """Precision/recall of lookup within every radius (the PR curve over Hamming radius)."""
    queries, database, query_masks, database_masks = _prepare(query_codes, database_codes,
                                                              query_labels, database_labels)
    total, relevant = _histograms(queries, database, query_masks, database_masks)
    retrieved = np.cumsum(total, axis=1)
    relevant_retrieved = np.cumsum(relevant, axis=1)
    n_relevant = relevant_retrieved[:, -1:]
    precision = np.divide(relevant_retrieved, retrieved, out=np.zeros(retrieved.shape), where=retrieved > 0)
    recall = np.divide(relevant_retrieved, n_relevant, out=np.zeros(retrieved.shape), where=n_relevant > 0)
    return RadiusCurve(radius=np.arange(queries.n_bits + 1), precision=precision.mean(axis=0),
                       recall=recall.mean(axis=0), retrieved=retrieved.mean(axis=0),
                       empty_fraction=(retrieved == 0).mean(axis=0))


def precision_within_radius(query_codes: Any, database_codes: Any, query_labels: Any,
                            database_labels: Any, radius: int = 2) -> float:
    """Mean precision of hash lookup within Hamming radius ``radius`` (empty lookups count as 0)."""
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    curve = hamming_radius_curve(query_codes, database_codes, query_labels, database_labels)
    return float(curve.precision[min(int(radius), len(curve.precision) - 1)])
