"""Any method's codes in faiss binary indexes, unchanged: exhaustive, inverted-file, hash tables, shards.

Introduced in the comparison chapter ("search past one machine"). The book's
codes (:class:`~hashlib_core.codes.PackedCodes`, any multiple of 8 bits) go
into faiss as bytes, bit for bit:

* ``flat``: ``IndexBinaryFlat``, exhaustive Hamming search (what
  :class:`~hashlib_core.search.HammingIndex` does);
* ``ivf``: ``IndexBinaryIVF``, ``nlist`` Hamming k-means cells of which
  ``nprobe`` are scanned per query;
* ``hash``: ``IndexBinaryHash``, one hash table on the first ``hash_bits``
  bits, buckets within ``flips`` bit flips of the query's visited;
* ``multihash``: ``IndexBinaryMultiHash``, ``tables`` tables on disjoint
  ``hash_bits``-bit slices.

:func:`sharded_index` splits the database over ``IndexBinaryShards`` (each
shard could live on another machine behind the same interface), and
:func:`recall_at_k` scores an approximate index against exhaustive search.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import time

from .codes import PackedCodes, as_packed, concatenate, flipped_copies

__all__ = ["INDEX_KINDS", "faiss_binary_index", "sharded_index", "recall_at_k", "tie_aware_recall", "grown_codes",
           "index_rows"]

INDEX_KINDS = ("flat", "ivf", "hash", "multihash")


def _bytes(codes: Any) -> tuple[np.ndarray, int]:
    packed = as_packed(codes, "codes")
    if packed.n_bits % 8:
        raise ValueError(f"faiss binary indexes need a multiple of 8 bits, got {packed.n_bits}-bit codes")
    return packed.to_bytes(), packed.n_bits


def faiss_binary_index(codes: Any, kind: str = "flat", *, nlist: int = 1024, nprobe: int = 16, hash_bits: int = 16,
                       tables: int = 4, flips: int = 2):
    """A faiss binary index of ``kind`` (:data:`INDEX_KINDS`) holding ``codes`` in their order (ids 0..n-1); the
    IVF quantiser is trained on the codes themselves."""
    import faiss

    data, bits = _bytes(codes)
    if kind == "flat":
        index = faiss.IndexBinaryFlat(bits)
    elif kind == "ivf":
        if nlist > len(data):
            raise ValueError(f"nlist={nlist} cells need at least as many codes, got {len(data)}")
        index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(bits), bits, nlist)
        index.train(data)
        index.nprobe = nprobe
    elif kind == "hash":
        index = faiss.IndexBinaryHash(bits, hash_bits)
        index.nflip = flips
    elif kind == "multihash":
        if tables * hash_bits > bits:
            raise ValueError(f"{tables} tables of {hash_bits} bits need {tables * hash_bits} bits, codes have {bits}")
        index = faiss.IndexBinaryMultiHash(bits, tables, hash_bits)
        index.nflip = flips
    else:
        raise ValueError(f"kind must be one of {', '.join(map(repr, INDEX_KINDS))}, got {kind!r}")
    index.add(data)
    return index


def sharded_index(codes: Any, shards: int, kind: str = "flat", **options):
    """``IndexBinaryShards`` over ``shards`` consecutive parts of ``codes``, each a :func:`faiss_binary_index`;
    searching it searches every shard and merges the results (ids stay those of ``codes``)."""
    import faiss

    data, bits = _bytes(codes)
    if not 1 <= shards <= len(data):
        raise ValueError(f"shards must lie in 1..{len(data)}, got {shards}")
    packed = as_packed(codes, "codes")
    index = faiss.IndexBinaryShards(bits, True, True)  # threaded, ids of shard i follow those of shard i - 1
    parts = [faiss_binary_index(packed[block], kind, **options) for block in np.array_split(np.arange(len(data)), shards)]
    for part in parts:
        index.add_shard(part)
    index.parts_kept_alive = parts  # the Python objects own the shards; keep them as long as the merged index
    return index


def recall_at_k(found: np.ndarray, exact: np.ndarray, k: int) -> float:
    """Mean share of each query's exact top ``k`` (ids, ``(n, >= k)``) among its approximate top ``k`` (-1: none)."""
    found, exact = np.asarray(found)[:, :k], np.asarray(exact)[:, :k]
    return float(np.mean([len(np.intersect1d(mine[mine >= 0], truth)) / k for mine, truth in zip(found, exact)]))


def tie_aware_recall(found_distances: np.ndarray, exact_distances: np.ndarray, k: int) -> float:
    """Mean share of each query's top ``k`` that an approximate search got right, judged by distance: every found
    item strictly closer than the exact k-th distance counts, and found items at that distance count up to the
    number of exact top-k places left for them (any order among equal distances is right). Found distances must
    be true Hamming distances (faiss' binary indexes return them; -1 or the int32 maximum: nothing found)."""
    found, exact = np.asarray(found_distances)[:, :k], np.asarray(exact_distances)[:, :k]
    kth = exact[:, -1:]
    valid = (found >= 0) & (found < np.iinfo(np.int32).max)
    closer = np.sum(valid & (found < kth), axis=1)
    at_kth = np.sum(valid & (found == kth), axis=1)
    places_at_kth = k - np.sum(exact < kth, axis=1)
    return float(np.mean((closer + np.minimum(at_kth, places_at_kth)) / k))


def grown_codes(codes, size: int, *, flip: float = 0.02, seed: int = 0) -> PackedCodes:
    """``size`` codes: the real ``codes`` first, then copies of random real codes with each bit flipped with
    probability ``flip`` (a database past the dataset's own size with its cluster structure)."""
    codes = as_packed(codes, "codes")
    if size < len(codes):
        raise ValueError(f"size must be at least the {len(codes)} real codes, got {size}")
    rng = np.random.default_rng(seed)
    return concatenate([codes, flipped_copies(codes, rng.integers(0, len(codes), size - len(codes)), flip, rng)])


def _serialized_bytes(index) -> int:
    import faiss

    if isinstance(index, faiss.IndexBinaryShards):
        return sum(_serialized_bytes(part) for part in index.parts_kept_alive)
    return int(faiss.serialize_index_binary(index).size)


_SEARCH_TIME_OPTIONS = {"nprobe": "nprobe", "flips": "nflip"}  # set on a built index, so a sweep builds once


def index_rows(database, queries, configs: list[tuple[str, dict]], *, k: int = 100, shards: int = 0,
               repeats: int = 3) -> list[dict]:
    """One row per index setting: exhaustive search with our scan (:func:`hashlib_core.search.hamming_rank`, the
    reference), then each ``(kind, options)`` of ``configs`` built on ``database`` (``nprobe`` or ``flips`` given
    as a tuple: one build, one row per value) and, if ``shards``, a flat index split over that many shards: build
    seconds, index bytes, best-of-``repeats`` seconds for all ``queries``, speed-ups over the exhaustive scan and
    over faiss' flat index, recall@k by ids and tie-aware (:func:`tie_aware_recall`)."""
    from .search import hamming_rank
    from .speed import best_seconds

    database, queries = as_packed(database, "database"), as_packed(queries, "queries")
    exact_ids, exact_distances = hamming_rank(queries, database, k)
    scan_seconds = best_seconds(lambda: hamming_rank(queries, database, k), repeats)
    common = {"database": len(database), "bits": database.n_bits, "queries": len(queries)}
    rows = [{"index": "numba scan (exhaustive)", **common, "build s": 0.0, "bytes": int(database.words.nbytes),
             "search s": scan_seconds, f"recall@{k}": 1.0, f"tie-aware recall@{k}": 1.0}]
    query_bytes = queries.to_bytes()
    builds = [(kind, options, lambda fixed, kind=kind: faiss_binary_index(database, kind, **fixed))
              for kind, options in configs]
    if shards:
        builds.append((f"flat x {shards} shards", {}, lambda fixed: sharded_index(database, shards, "flat")))
    for kind, options, build in builds:
        swept = {key: value for key, value in options.items() if isinstance(value, (tuple, list))}
        fixed = {key: value for key, value in options.items() if key not in swept}
        if len(swept) > 1 or not set(swept) <= set(_SEARCH_TIME_OPTIONS):
            raise ValueError(f"{kind}: sweep at most one of {sorted(_SEARCH_TIME_OPTIONS)} (a tuple of values), "
                             f"got {sorted(swept)}")
        started = time.perf_counter()
        index = build(fixed)
        built = time.perf_counter() - started
        key, values = next(iter(swept.items())) if swept else (None, (None,))
        for value in values:
            if key is not None:
                setattr(index, _SEARCH_TIME_OPTIONS[key], value)
            seconds = best_seconds(lambda: index.search(query_bytes, k), repeats)
            distances, ids = index.search(query_bytes, k)
            rows.append({"index": kind, **fixed, **({key: value} if key else {}), **common, "build s": built,
                         "bytes": _serialized_bytes(index), "search s": seconds,
                         f"recall@{k}": recall_at_k(ids, exact_ids, k),
                         f"tie-aware recall@{k}": tie_aware_recall(distances, exact_distances, k)})
        del index
    flat = next((row["search s"] for row in rows if row["index"] == "flat"), None)
    for row in rows:
        row["speed-up over scan"] = scan_seconds / row["search s"]
        row["speed-up over faiss flat"] = flat / row["search s"] if flat else None
    return rows
