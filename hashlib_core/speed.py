"""How fast binary codes are compared against real-valued features, measured on this machine.

Introduced in the DLBHC chapter, which checks the paper's claim (Sec. 4.5):
"computing the hamming distance between two 128 bits binary codes takes
0.113 ms" against 109.767 ms for two 4096-d vectors, "971.3x faster".

:func:`search_speed` times, on random data of the given sizes (speed does not
depend on the values):

* a whole-database scan, per query and per comparison: packed popcount
  (:func:`hashlib_core.search.hamming_distances`, numba), faiss
  ``IndexBinaryFlat`` (top-100), float Euclidean distances with numpy BLAS
  and with torch, and faiss ``IndexFlatL2`` (top-100);
* one pair through a Python call (what a two-vector measurement sees):
  XOR + popcount of two codes, ``numpy.linalg.norm`` of a difference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import torch

from .codes import pack
from .search import feature_distances, hamming_distances

__all__ = ["search_speed", "best_seconds", "speed_ratios", "speed_rows", "SpeedStudy", "speed_study", "SCAN_TOP_K"]

SCAN_TOP_K = 100  # the faiss searches return the top 100 (their cost is dominated by the scan)


def best_seconds(work: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of ``repeats`` timed calls (after one warm-up call), in seconds."""
    work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _faiss_available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def _row(method: str, representation: str, bytes_per_item: int, seconds: float, n_queries: int,
         n_database: int, kind: str) -> dict:
    return {"method": method, "representation": representation, "bytes per item": bytes_per_item, "kind": kind,
            "seconds per query": seconds / n_queries, "ns per comparison": seconds / (n_queries * n_database) * 1e9}


def _code_rows(bits: int, n_database: int, n_queries: int, rng: np.random.Generator, repeats: int) -> list[dict]:
    database = pack(rng.integers(0, 2, (n_database, bits), dtype=np.uint8))
    queries = pack(rng.integers(0, 2, (n_queries, bits), dtype=np.uint8))
    label, size = f"{bits}-bit code", (bits + 7) // 8
    rows = [_row("packed popcount (numba)", label, size,
                 best_seconds(lambda: hamming_distances(queries, database), repeats), n_queries, n_database, "scan")]
    if _faiss_available() and bits % 8 == 0:
        import faiss

        index = faiss.IndexBinaryFlat(bits)
        index.add(database.to_bytes())
        query_bytes = queries.to_bytes()
        rows.append(_row(f"faiss IndexBinaryFlat (top {SCAN_TOP_K})", label, size,
                         best_seconds(lambda: index.search(query_bytes, SCAN_TOP_K), repeats), n_queries,
                         n_database, "scan"))
    first, second = (int.from_bytes(row.tobytes(), "little") for row in database.to_bytes()[:2])
    words_a, words_b = database.words[0], database.words[1]
    pair_calls = 10_000

    def python_pairs() -> None:
        for _ in range(pair_calls):
            (first ^ second).bit_count()

    def numpy_pairs() -> None:
        for _ in range(pair_calls):
            np.bitwise_count(words_a ^ words_b).sum()

    rows.append(_row("one pair: Python int XOR + bit_count", label, size, best_seconds(python_pairs, repeats),
                     pair_calls, 1, "pair"))
    rows.append(_row("one pair: numpy XOR + bitwise_count", label, size, best_seconds(numpy_pairs, repeats),
                     pair_calls, 1, "pair"))
    return rows


def _feature_rows(dims: int, n_database: int, n_queries: int, rng: np.random.Generator, repeats: int) -> list[dict]:
    database = rng.standard_normal((n_database, dims), dtype=np.float32)
    queries = rng.standard_normal((n_queries, dims), dtype=np.float32)
    label, size = f"{dims}-d float32", 4 * dims
    database_t, queries_t = torch.from_numpy(database), torch.from_numpy(queries)
    rows = [_row("Euclidean, numpy BLAS", label, size,
                 best_seconds(lambda: feature_distances(queries, database, "euclidean"), repeats), n_queries,
                 n_database, "scan"),
            _row("Euclidean, torch.cdist", label, size,
                 best_seconds(lambda: torch.cdist(queries_t, database_t), repeats), n_queries, n_database, "scan")]
    if _faiss_available():
        import faiss

        index = faiss.IndexFlatL2(dims)
        index.add(database)
        rows.append(_row(f"faiss IndexFlatL2 (top {SCAN_TOP_K})", label, size,
                         best_seconds(lambda: index.search(queries, SCAN_TOP_K), repeats), n_queries, n_database,
                         "scan"))
    first, second = database[0], database[1]
    pair_calls = 10_000

    def numpy_pairs() -> None:
        for _ in range(pair_calls):
            np.linalg.norm(first - second)

    rows.append(_row("one pair: numpy linalg.norm(a - b)", label, size, best_seconds(numpy_pairs, repeats),
                     pair_calls, 1, "pair"))
    return rows


def search_speed(*, code_bits: tuple[int, ...] = (48, 128), feature_dims: tuple[int, ...] = (512, 4096),
                 n_database: int = 50_000, n_queries: int = 100, repeats: int = 3, seed: int = 0) -> list[dict]:
    """Time whole-database scans and single-pair comparisons for codes and float features.

    Rows: ``method``, ``representation``, ``bytes per item``, ``kind``
    (``scan``: ``n_queries`` against ``n_database``; ``pair``: one pair per
    Python call), ``seconds per query`` and ``ns per comparison`` (best of
    ``repeats``). faiss rows appear when faiss is installed.
    """
    if n_database < 2 or n_queries < 1 or repeats < 1:
        raise ValueError(f"need n_database >= 2, n_queries >= 1 and repeats >= 1, got {n_database}, {n_queries}, "
                         f"{repeats}")
    rng = np.random.default_rng(seed)
    rows = []
    for bits in code_bits:
        rows += _code_rows(int(bits), n_database, n_queries, rng, repeats)
    for dims in feature_dims:
        rows += _feature_rows(int(dims), n_database, n_queries, rng, repeats)
    return rows


def _per_comparison(rows: list[dict], method: str, representation: str) -> float:
    matches = [row["ns per comparison"] for row in rows
               if row["method"] == method and row["representation"] == representation]
    if not matches:
        raise KeyError(f"no speed row for {method!r} on {representation!r}; run search_speed with that size")
    return float(matches[0])


def speed_ratios(rows: list[dict], feature_dim: int, code_bits: int = 128) -> dict[str, float]:
    """How many times faster a ``code_bits`` Hamming comparison is than a Euclidean one, from :func:`search_speed`
    rows: in a scan against 4096-d and ``feature_dim``-d float32, and one pair per Python call against 4096-d."""
    code = f"{code_bits}-bit code"
    popcount = _per_comparison(rows, "packed popcount (numba)", code)
    return {
        f"scan: numba {code_bits}-bit popcount vs numpy BLAS 4096-d":
            _per_comparison(rows, "Euclidean, numpy BLAS", "4096-d float32") / popcount,
        f"scan: numba {code_bits}-bit popcount vs numpy BLAS {feature_dim}-d":
            _per_comparison(rows, "Euclidean, numpy BLAS", f"{feature_dim}-d float32") / popcount,
        f"one pair per Python call: numpy norm 4096-d vs int XOR + bit_count {code_bits}-bit":
            _per_comparison(rows, "one pair: numpy linalg.norm(a - b)", "4096-d float32")
            / _per_comparison(rows, "one pair: Python int XOR + bit_count", code),
    }


def speed_rows(rows: list[dict], n_database: int) -> list[dict]:
    """Results-file rows of :func:`search_speed` output."""
    return [{"name": f"{row['kind']} ns per comparison", "method": row["method"],
             "representation": row["representation"], "value": row["ns per comparison"], "n_database": n_database}
            for row in rows]


@dataclass
class SpeedStudy:
    """One :func:`search_speed` measurement with what a chapter reports from it: the ``rows``, the wall
    ``seconds`` it took, the ``ratios`` of :func:`speed_ratios` for ``feature_dim``-d features (plus any
    published ratios passed as ``reference``) and the ``n_database`` scanned."""

    rows: list[dict]
    seconds: float
    feature_dim: int
    n_database: int
    ratios: dict[str, float] = field(default_factory=dict)

    def results_rows(self) -> list[dict]:
        """The rows for a results file (:func:`speed_rows`)."""
        return speed_rows(self.rows, self.n_database)


def speed_study(feature_dim: int, n_database: int, *, code_bits: tuple[int, ...] = (48, 128), seed: int = 0,
                reference: Mapping[str, float] | None = None) -> SpeedStudy:
    """Time :func:`search_speed` for ``code_bits`` codes against ``feature_dim``-d and 4096-d features over
    ``n_database`` items, and derive the Hamming-vs-Euclidean ratios (``reference``: published ratios shown
    beside them, e.g. ``{"paper: ...": 971.3}``)."""
    started = time.perf_counter()
    rows = search_speed(code_bits=code_bits, feature_dims=tuple(dict.fromkeys((feature_dim, 4096))),
                        n_database=n_database, seed=seed)
    seconds = time.perf_counter() - started
    ratios = {**speed_ratios(rows, feature_dim, code_bits=max(code_bits)), **(reference or {})}
    return SpeedStudy(rows, seconds, feature_dim, n_database, ratios)
