"""Li & Li's CPU-time claims (Figs. 6, 10, 14): two-step search against linear search, measured here.

Introduced in the Li & Li chapter. The paper times, with 32-bit codes, the
"feature learning", a two-step search (a Hamming candidate pool, then cosine
similarity) and a linear search, and reports 20x-78x. :func:`search_times`
measures, for database sizes beyond the datasets' own (the real database
repeated with small perturbations: a bit flipped with probability
``flip``, Gaussian noise of ``noise`` times each feature's spread):

* one-step: Hamming ranking of packed codes (top k);
* two-step: the ``pool`` Hamming-nearest codes re-ranked by cosine similarity
  of the real-valued layer (:func:`hashlib_core.search.coarse_to_fine_search`);
* linear: cosine similarity to every database item, with numpy BLAS
  (:func:`hashlib_core.search.feature_rank`) and with faiss ``IndexFlatIP``
  on unit-length features;

each as seconds per query, the speed-up of two-step over linear, and the
recall of two-step's top k among linear search's top k (same features).
"""

from __future__ import annotations

import numpy as np

from ..codes import PackedCodes, as_packed, pack, unpack
from ..runtime import timed
from ..search import coarse_to_fine_search, feature_rank, hamming_rank

__all__ = ["grown_database", "search_times", "time_rows"]


def grown_database(codes: PackedCodes, features: np.ndarray, size: int, *, flip: float = 0.02, noise: float = 0.05,
                   seed: int = 0) -> tuple[PackedCodes, np.ndarray]:
    """``size`` items: the real ``codes`` and ``features`` first, then copies of random real items with each bit
    flipped with probability ``flip`` and Gaussian noise of ``noise`` x the per-dimension standard deviation."""
    codes = as_packed(codes, "codes")
    if len(codes) != len(features) or size < len(codes):
        raise ValueError(f"need as many codes as features and size >= {len(codes)}, got {len(codes)} codes, "
                         f"{len(features)} features, size {size}")
    rng = np.random.default_rng(seed)
    extra = size - len(codes)
    source = rng.integers(0, len(codes), extra)
    bits = unpack(codes)[source] ^ (rng.random((extra, codes.n_bits)) < flip)
    spread = features.std(axis=0, keepdims=True) * noise
    moved = features[source] + rng.standard_normal((extra, features.shape[1])).astype(np.float32) * spread
    all_codes = pack(np.concatenate([unpack(codes), bits.astype(np.uint8)]))
    return all_codes, np.concatenate([features, moved.astype(np.float32)])


def _unit(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def search_times(query_codes: PackedCodes, query_features: np.ndarray, database_codes: PackedCodes,
                 database_features: np.ndarray, *, pool: int = 1000, k: int = 100) -> dict:
    """One row: seconds per query of one-step, two-step (``pool`` candidates) and linear cosine search (numpy,
    faiss), the speed-ups of two-step over each linear search, and two-step's recall@k of linear search's top k."""
    n_queries = len(query_codes)
    _, one_step = timed(lambda: hamming_rank(query_codes, database_codes, k))
    two_lists, two_step = timed(lambda: coarse_to_fine_search(query_codes, database_codes, query_features,
                                                                database_features, k, pool_size=pool,
                                                                metric="cosine"))
    (linear_lists, _), linear = timed(lambda: feature_rank(query_features, database_features, k, metric="cosine"))
    row = {"database": len(database_codes), "bits": database_codes.n_bits, "pool": pool, "queries": n_queries,
           "one-step s/query": one_step / n_queries, "two-step s/query": two_step / n_queries,
           "linear (numpy) s/query": linear / n_queries}
    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is not None:
        index = faiss.IndexFlatIP(database_features.shape[1])
        index.add(_unit(database_features))
        _, faiss_seconds = timed(lambda: index.search(_unit(query_features), k))
        row["linear (faiss) s/query"] = faiss_seconds / n_queries
        row["speed-up over faiss"] = faiss_seconds / two_step
    row["speed-up over numpy"] = linear / two_step
    row[f"recall@{k}"] = float(np.mean([len(np.intersect1d(found[:k], exact[:k])) / k
                                        for found, exact in zip(two_lists, linear_lists)]))
    return row


def time_rows(run, bits: int, sizes: tuple[int, ...], *, pools: tuple[int, ...] = (100, 1000), k: int = 100,
              queries: int = 200, seed: int = 0) -> list[dict]:
    """:func:`search_times` for the run's ``bits`` network (its codes and F4 layer, ``"f7"`` in the outputs) with
    the database grown to each of ``sizes`` (:func:`grown_database`; never below the real database) and each pool
    size, for the first ``queries`` queries."""
    method = run.method.name
    query_codes = run.part_codes(method, bits, "query")[:queries]
    query_features = run.layer(bits, "f7", "query")[:queries]
    codes, features = run.part_codes(method, bits, "database"), run.layer(bits, "f7", "database")
    rows = []
    for size in sizes:
        grown_codes, grown_features = grown_database(codes, features, max(size, len(codes)), seed=seed)
        rows += [{"dataset": run.dataset.name, **search_times(query_codes, query_features, grown_codes, grown_features,
                                                              pool=pool, k=k)} for pool in pools]
    return rows
