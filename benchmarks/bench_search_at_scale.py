"""Hamming search past a dataset's size: our exhaustive scan beside faiss' binary indexes at 1 M and 10 M codes.

Usage (idle machine): ``python benchmarks/bench_search_at_scale.py [--sizes 1000000 10000000] [--codes BITS.npy |
--method CHAPTER --bits 64 --seed 0] [--out results/comparison/search_at_scale.json]``.

The database is grown from base codes by perturbed copies (:func:`hashlib_core.faiss_indexes.grown_codes`: the
base codes first, then copies of random base codes with each bit flipped with probability 0.02), so it keeps the
base codes' cluster structure. Base codes: ``--codes`` (a ``(n, bits)`` 0/1 matrix saved from a chapter's run),
or ``--method``: a comparison entrant's learned codes (:func:`hashlib_core.studies.comparison.learned_codes`,
the paper profile's CIFAR-10 protocol: its 59,000 database codes grown, its 1,000 queries), else 60,000 synthetic
64-bit codes clustered like learned ones (10 class prototypes, each bit flipped with
probability 0.2, as in ``bench_retrieval.py``); the 1,000 queries are further codes from the same source, not in
the database. Per size, every index (:func:`hashlib_core.faiss_indexes.index_rows`) reports build seconds, bytes,
seconds for all queries (best of 3), speed-ups over our scan and over faiss ``IndexBinaryFlat``, and recall@100
against the exhaustive top 100, by ids and tie-aware (equal distances in any order count as right). The issue's
target: recall@100 >= 0.95 at >= 5x the exhaustive search's speed with one index type at 10 M codes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before faiss loads OpenMP

import numpy as np  # noqa: E402

from hashlib_core.codes import pack  # noqa: E402
from hashlib_core.faiss_indexes import grown_codes, index_rows  # noqa: E402
from hashlib_core.runtime import environment_record  # noqa: E402


def base_codes(path: str | None, rng: np.random.Generator, n: int = 61_000, bits: int = 64) -> np.ndarray:
    """The ``--codes`` matrix, else synthetic clustered codes (10 prototypes, 20 % of the bits flipped)."""
    if path:
        return np.load(path).astype(np.uint8)
    prototypes = rng.integers(0, 2, (10, bits), dtype=np.uint8)
    return prototypes[rng.integers(0, 10, n)] ^ (rng.random((n, bits)) < 0.2).astype(np.uint8)


def configs(size: int, bits: int) -> list[tuple[str, dict]]:
    """The faiss indexes measured at ``size`` codes: flat, IVF (about 1,000 codes per cell at 1 M, 10,000 at 10 M,
    so the k-means stays within a minute), one hash table, and multi-hash tables on disjoint slices."""
    nlist = 1024 if size <= 2_000_000 else 2048
    return [("flat", {}), ("ivf", {"nlist": nlist, "nprobe": (1, 4, 16, 32, 64, 128)}),
            ("hash", {"hash_bits": min(24, bits), "flips": (0, 1, 2)}),
            ("multihash", {"hash_bits": bits // 4, "tables": 4, "flips": (0, 1)})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--codes", help="a (n, bits) 0/1 .npy matrix; its last 1,000 rows are the queries")
    parser.add_argument("--method", help="a comparison entrant's chapter (e.g. dlbhc): its learned codes")
    parser.add_argument("--bits", type=int, default=64, help="code length of --method")
    parser.add_argument("--seed", type=int, default=0, help="comparison seed of --method")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.method:
        from hashlib_core.studies.comparison import PROFILES, learned_codes

        base, queries = learned_codes(PROFILES["paper"], args.method, args.bits, args.seed)
        source = f"{args.method} {args.bits}-bit codes learned in the comparison (CIFAR-10, seed {args.seed})"
    else:
        bits = base_codes(args.codes, rng)
        queries, base = pack(bits[-args.queries:]), pack(bits[:-args.queries])
        source = args.codes and Path(args.codes).name or "synthetic clustered 64-bit"
    rows = []
    for size in args.sizes:
        started = time.perf_counter()
        database = grown_codes(base, size, seed=1)
        print(f"{size:,} codes grown in {time.perf_counter() - started:.1f} s", flush=True)
        for row in index_rows(database, queries, configs(size, base.n_bits), shards=args.shards):
            rows.append(row)
            print({key: round(value, 4) if isinstance(value, float) else value for key, value in row.items()},
                  flush=True)
        del database
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w") as handle:
            json.dump({"runs": rows, "base_codes": source,
                       "command": "python benchmarks/bench_search_at_scale.py "
                                  + " ".join(["--sizes", *map(str, args.sizes)]
                                             + (["--method", args.method, "--bits", str(args.bits), "--seed",
                                                 str(args.seed)] if args.method else [])),
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main()
