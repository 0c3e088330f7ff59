"""How the Hamming scan's query block and database tile were chosen: top-100 over 1 M 64-bit codes, 1,000 queries.

Usage (idle machine): ``python benchmarks/bench_scan_blocking.py``. Recompiles ``hashlib_core._kernels.top_k`` for
each (queries per block, tile bytes) pair and prints the best-of-5 seconds and G comparisons/s, on the clustered
synthetic codes of ``bench_retrieval.py``; ``(1, any)`` is the scan without query blocking.
"""

from __future__ import annotations

import numba
import numpy as np

from hashlib_core import _kernels
from hashlib_core.codes import pack
from hashlib_core.speed import best_seconds


def compiled_top_k(queries_per_block: int, tile_bytes: int):
    """``top_k`` recompiled with other blocking constants (numba reads module globals at compile time)."""
    _kernels._QUERY_BLOCK, _kernels._TILE_BYTES = queries_per_block, tile_bytes
    _kernels._top_k_query_block = numba.njit(_kernels._top_k_query_block.py_func)
    return numba.njit(parallel=True)(_kernels.top_k.py_func)


def main() -> None:
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 2, (10, 64), dtype=np.uint8)
    bits = prototypes[rng.integers(0, 10, 1_001_000)] ^ (rng.random((1_001_000, 64)) < 0.2).astype(np.uint8)
    queries, database = pack(bits[:1000]), pack(bits[1000:])
    k = 100
    reference = None
    print(f"numba threads {numba.get_num_threads()}; 1,000 queries x 1,000,000 clustered 64-bit codes, top {k}")
    for block, tile in ((1, 32_768), (4, 32_768), (8, 32_768), (16, 16_384), (16, 32_768), (16, 65_536),
                        (32, 32_768), (64, 32_768)):
        top_k = compiled_top_k(block, tile)
        index = np.empty((len(queries), k), np.int64)
        distance = np.empty((len(queries), k), np.int64)
        seconds = best_seconds(lambda: top_k(queries.words, database.words, 64, k, index, distance), 5)
        reference = index.copy() if reference is None else reference
        assert np.array_equal(index, reference), "blocking changed the result"
        print(f"queries per block {block:3d}, tile {tile // 1024:3d} KB: {seconds:.3f} s, "
              f"{len(queries) * len(database) / seconds / 1e9:.1f} G comparisons/s", flush=True)


if __name__ == "__main__":
    main()
