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

from .codes import as_packed

__all__ = ["INDEX_KINDS", "faiss_binary_index", "sharded_index", "recall_at_k"]

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
