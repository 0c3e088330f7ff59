"""DLBHC's studies (Lin et al. 2015): classification with H (Tables 1-2) and ES / BCS / HDS search (Sec. 4.5).

Introduced in the DLBHC chapter.

* :func:`classification_rows`: test error with and without the latent layer, beside Tables 1 and 2;
* :func:`search_comparison`: exhaustive Euclidean search on F7 (ES), Hamming
  ranking of the codes (BCS) and hierarchical deep search (HDS: a Hamming pool
  re-ranked by Euclidean distance on F7, Eq. 2,
  :func:`hashlib_core.search.coarse_to_fine_search`), by pool size and by radius.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..evaluation import feature_report
from ..experiment import MethodRun
from ..metrics import average_precision, precision_at_k, ranked_list_relevance
from ..published import DLBHC_TABLE1, DLBHC_TABLE2
from ..runtime import timed
from ..search import coarse_to_fine_search, hamming_lookup, hamming_rank

__all__ = ["POOL_SIZES", "RADII", "classification_rows", "search_comparison", "search_studies", "search_rows",
           "exhaustive_gap"]

POOL_SIZES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, None)  # None: the whole database
RADII = (0, 1, 2, 3, 4, 6, 8)
_KS = (1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)


# dataset -> (source label, {model: test error in %}) quoted beside ours
DLBHC_CLASSIFICATION = {"mnist": ("paper (Table 1)", DLBHC_TABLE1),
                        "cifar10": ("paper (Table 2)", {model: 100 - accuracy for model, accuracy in DLBHC_TABLE2.items()})}


def classification_rows(run: MethodRun, tables: Mapping[str, tuple[str, Mapping[str, float]]] | None = None
                        ) -> list[dict]:
    """Test error (%) on every test image: the pre-trained backbone, each fine-tuned network, the paper's rows
    (``tables``: ``{dataset: (source, {model: error %})}``, default DLBHC's Tables 1 and 2)."""
    name = run.dataset.name
    rows = []
    if run.pretrained_accuracy is not None:
        rows.append({"dataset": name, "source": "ours", "model": "backbone without H (pre-training)",
                     "test error (%)": 100 * (1 - run.pretrained_accuracy)})
    rows += [{"dataset": name, "source": "ours", "model": f"{run.method.name}, h={bits}",
              "test error (%)": 100 * (1 - accuracy)} for bits, accuracy in run.accuracy.items()]
    source, quoted = (DLBHC_CLASSIFICATION if tables is None else tables).get(name, ("", {}))
    rows += [{"dataset": name, "source": source, "model": model, "test error (%)": error}
             for model, error in quoted.items()]
    return [{**row, "test accuracy (%)": 100 - row["test error (%)"]} for row in rows]


def search_comparison(run: MethodRun, bits: int, *, pool_sizes: tuple = POOL_SIZES, radii: tuple = RADII,
                      ks: tuple = _KS, metric: str = "euclidean", layer: str = "F7") -> dict[str, list[dict]]:
    """ES, BCS and HDS (Sec. 4.5, Figs. 8/9) on the run's queries with the ``bits`` network of the run's method,
    ES and the fine step of HDS by ``metric`` on F7 (Li & Li: ``"cosine"`` on what they call F4, the same layer;
    ``layer`` names it in the rows).

    Results of at most ``max(ks)`` items; a shorter list counts its missing
    places as misses. Returns ``{"summary": [...], "curves": [...],
    "radius": [...]}`` rows; summary rows hold ``search``, ``kind`` (``ES``,
    ``BCS`` or ``HDS``), ``pool size``, ``mAP@1000`` (None for lists shorter
    than the depth), ``precision@10`` and ``ms per query``.
    """
    depth = max(ks)
    method = run.method.name
    query_codes, database_codes = run.part_codes(method, bits, "query"), run.part_codes(method, bits, "database")
    query_f7, database_f7 = run.layer(bits, "f7", "query"), run.layer(bits, "f7", "database")
    query_labels, database_labels = run.part_labels("query"), run.part_labels("database")
    n_queries = len(query_labels)
    at_10 = list(ks).index(10) if 10 in ks else None
    summary, curves = [], []

    def record(search: str, kind: str, pool: int, precision: np.ndarray, mean_ap: float | None,
               seconds: float) -> None:
        summary.append({"search": search, "kind": kind, "pool size": pool, "mAP@1000": mean_ap,
                        "precision@10": float(precision[at_10]) if at_10 is not None else None,
                        "ms per query": 1e3 * seconds / n_queries})
        curves.extend({"search": search, "k": int(k), "precision": float(value)} for k, value in zip(ks, precision))

    def record_lists(search: str, kind: str, pool: int, lists, seconds: float) -> None:
        relevance = ranked_list_relevance(lists, query_labels, database_labels, depth)
        # AP over a list shorter than the depth is not comparable (it is normalised by what was returned)
        mean_ap = float(average_precision(relevance).mean()) if pool >= depth else None
        record(search, kind, pool, precision_at_k(relevance, ks), mean_ap, seconds)

    exhaustive, seconds = timed(lambda: feature_report(query_f7, database_f7, query_labels, database_labels,
                                                        depth=depth, ks=ks, metric=metric))
    record(f"ES ({layer}, exhaustive)", "ES", len(database_labels), exhaustive.precision_at_k, exhaustive.map, seconds)
    (ranking, _), seconds = timed(lambda: hamming_rank(query_codes, database_codes, depth))
    record_lists("BCS (Hamming)", "BCS", depth, list(ranking), seconds)
    sizes = sorted({len(database_labels) if pool is None else min(int(pool), len(database_labels))
                    for pool in pool_sizes})
    for size in sizes:
        lists, seconds = timed(lambda: coarse_to_fine_search(query_codes, database_codes, query_f7, database_f7,
                                                               depth, pool_size=size, metric=metric))
        record_lists(f"HDS (pool {size})", "HDS", size, lists, seconds)
    radius_rows = []
    for radius in radii:
        found = hamming_lookup(query_codes, database_codes, radius)
        candidates = np.array([len(indices) for indices, _ in found])
        lists, seconds = timed(lambda: coarse_to_fine_search(query_codes, database_codes, query_f7, database_f7,
                                                               depth, radius=radius, metric=metric))
        relevance = ranked_list_relevance(lists, query_labels, database_labels, depth)
        precision = precision_at_k(relevance, [k for k in (10, 100) if k <= depth])
        radius_rows.append({"radius": radius, "mean candidates": float(candidates.mean()),
                            "queries without candidates": float((candidates == 0).mean()),
                            "HDS precision@10": float(precision[0]), "HDS precision@100": float(precision[-1]),
                            "ms per query": 1e3 * seconds / n_queries})
    return {"summary": summary, "curves": curves, "radius": radius_rows}


def search_rows(comparisons: dict[int, dict[str, list[dict]]], names: Mapping[str, str] | None = None) -> list[dict]:
    """Results-file rows of :func:`search_comparison` outputs keyed by code length; ``names`` renames the method of
    each row by its kind (``{"HDS": "Li & Li (two-step)"}``; the search's own label goes to ``search``)."""
    rows = []
    names = names or {}
    for bits, comparison in comparisons.items():
        rows += [{"name": f"search study: {key}", "method": names.get(row["kind"], row["search"]),
                  "search": row["search"], "bits": bits, "value": row[key], "pool_size": row["pool size"]}
                 for row in comparison["summary"]
                 for key in ("mAP@1000", "precision@10", "ms per query")]
        rows += [{"name": f"search study: radius {row['radius']}: {key}", "method": "HDS", "bits": bits,
                  "value": row[key]} for row in comparison["radius"] for key in row if key != "radius"]
    return rows


def search_studies(run: MethodRun, lengths: tuple[int, ...] = (48, 128), *,
                   metric: str = "euclidean", layer: str = "F7") -> dict[int, dict[str, list[dict]]]:
    """:func:`search_comparison` at each of ``lengths`` the run trained (else its longest code), timed into
    ``run.stages``."""
    chosen = [bits for bits in lengths if bits in run.settings.code_lengths] or [max(run.settings.code_lengths)]
    comparisons = {}
    for bits in chosen:
        comparisons[bits], seconds = timed(lambda: search_comparison(run, bits, metric=metric, layer=layer))
        run.stages[f"ES/BCS/HDS study {bits} bits"] = seconds
    return comparisons


def exhaustive_gap(comparison: dict[str, list[dict]]) -> float:
    """|mAP@1000 of HDS with the whole database as its pool - mAP@1000 of ES|: zero up to float rounding, since
    re-ranking every code by F7 is exhaustive F7 search (ES computes distances for blocks of queries, HDS per query)."""
    exhaustive = next(row for row in comparison["summary"] if row["kind"] == "ES")
    whole = max((row for row in comparison["summary"] if row["kind"] == "HDS"), key=lambda row: row["pool size"])
    return abs(whole["mAP@1000"] - exhaustive["mAP@1000"])
