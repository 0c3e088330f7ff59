"""Every retrieval number a chapter reports for one set of codes (or real-valued features), in one call.

Introduced in the CNN Based Hashing chapter; the DLBHC chapter uses it too.
The formulas and conventions are those of :mod:`hashlib_core.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .codes import as_numpy
from .metrics import (RadiusCurve, average_precision, hamming_map, hamming_precision_recall_at_k,
                      hamming_radius_curve, precision_at_k, relevance_matrix)
from .search import feature_rank

__all__ = ["RetrievalReport", "hamming_report", "feature_report", "DEFAULT_KS"]

DEFAULT_KS = (1, 10, 50, 100, 200, 500, 1000, 1500, 2000)


@dataclass
class RetrievalReport:
    """Headline numbers of one ranking method.

    ``map``: mAP at ``depth`` (None = full ranking) with index-order ties;
    ``map_expected_ties``: the expectation over tie orders (None for real-valued
    rankings, which rarely tie); ``precision_within_radius``: hash lookup at
    ``radius`` (None for real values); ``ks`` / ``precision_at_k`` / ``recall_at_k``;
    ``radius_curve``: precision/recall over Hamming radius (codes only).
    """

    map: float
    depth: int | None
    ks: np.ndarray
    precision_at_k: np.ndarray
    recall_at_k: np.ndarray | None = None
    map_expected_ties: float | None = None
    radius: int | None = None
    precision_within_radius: float | None = None
    radius_curve: RadiusCurve | None = None
    extra: dict = field(default_factory=dict)

    def rows(self, method: str, bits: int | None = None) -> list[dict]:
        """Metric rows for :func:`hashlib_core.results.write_results`."""
        name = "mAP" if self.depth is None else f"mAP@{self.depth}"
        rows = [{"name": name, "method": method, "bits": bits, "value": self.map}]
        if self.map_expected_ties is not None:
            rows.append({"name": f"{name} (expected ties)", "method": method, "bits": bits,
                         "value": self.map_expected_ties})
        if self.precision_within_radius is not None:
            rows.append({"name": f"precision within radius {self.radius}", "method": method, "bits": bits,
                         "value": self.precision_within_radius})
        rows += [{"name": f"precision@{k}", "method": method, "bits": bits, "value": float(value)}
                 for k, value in zip(self.ks, self.precision_at_k)]
        return rows


def _usable_ks(ks: Sequence[int], database_size: int) -> np.ndarray:
    values = np.array([k for k in ks if k <= database_size], dtype=np.int64)
    if values.size == 0:
        raise ValueError(f"every k in {list(ks)} exceeds the database size {database_size}")
    return values


def hamming_report(query_codes: Any, database_codes: Any, query_labels: Any, database_labels: Any, *,
                   depth: int | None = None, ks: Sequence[int] = DEFAULT_KS, radius: int = 2) -> RetrievalReport:
    """All Hamming-ranking and hash-lookup numbers for one set of codes (k beyond the database are dropped)."""
    n_database = len(as_numpy(database_labels, "database_labels"))
    usable = _usable_ks(ks, n_database)
    precision, recall = hamming_precision_recall_at_k(query_codes, database_codes, query_labels, database_labels,
                                                      usable)
    curve = hamming_radius_curve(query_codes, database_codes, query_labels, database_labels)
    return RetrievalReport(
        map=hamming_map(query_codes, database_codes, query_labels, database_labels, depth),
        map_expected_ties=hamming_map(query_codes, database_codes, query_labels, database_labels, depth,
                                      ties="expected"),
        depth=depth, ks=usable, precision_at_k=precision, recall_at_k=recall, radius=radius,
        precision_within_radius=float(curve.precision[min(radius, len(curve.precision) - 1)]), radius_curve=curve)


def feature_report(query_features: Any, database_features: Any, query_labels: Any, database_labels: Any, *,
                   depth: int | None = None, ks: Sequence[int] = DEFAULT_KS, metric: str = "euclidean",
                   chunk_size: int = 128) -> RetrievalReport:
    """mAP and precision@k of an exhaustive real-valued ranking (e.g. L2 on a layer's outputs).

    Queries go through in chunks, so memory stays at ``chunk_size`` x database.
    """
    queries = as_numpy(query_features, "query_features")
    query_label_array = as_numpy(query_labels, "query_labels")
    n_database = len(as_numpy(database_labels, "database_labels"))
    usable = _usable_ks(ks, n_database)
    ap_parts, precision_parts = [], []
    for start in range(0, len(queries), chunk_size):
        stop = start + chunk_size
        ranking, _ = feature_rank(queries[start:stop], database_features, depth, metric=metric)
        relevant = np.take_along_axis(relevance_matrix(query_label_array[start:stop], database_labels), ranking, 1)
        ap_parts.append(average_precision(relevant))
        precision_parts.append(precision_at_k(relevant, usable[usable <= relevant.shape[1]]) * len(relevant))
    precision = np.sum(precision_parts, axis=0) / len(queries)
    return RetrievalReport(map=float(np.concatenate(ap_parts).mean()), depth=depth, ks=usable[:len(precision)],
                           precision_at_k=precision)
