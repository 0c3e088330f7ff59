"""Save one chapter's codes as a 0/1 matrix for ``bench_search_at_scale.py --codes``.

Usage: ``HASHING_BOOK_DATA=DATA python benchmarks/export_codes.py CHAPTER DATASET BITS OUT.npy [QUERIES]``, e.g.
``usdh cifar10 64 /tmp/usdh64.npy``. Runs the chapter's paper profile for DATASET at BITS bits without baselines,
resuming its checkpoints (so after the chapter has run, nothing is trained), and saves the codes of the protocol's
database followed by those of its first QUERIES queries (default 1,000): the benchmark takes the last QUERIES rows
as queries.
"""

import sys
from dataclasses import replace

import numpy as np

from hashlib_core.codes import unpack
from hashlib_core.experiment import run_method
from hashlib_core.methods import METHODS


def main(chapter: str, dataset: str, bits: str, out: str, queries: str = "1000") -> None:
    method = METHODS[chapter]
    settings = replace(method.plan("paper", [dataset])[dataset], code_lengths=(int(bits),), baselines=())
    run = run_method(method, dataset, settings, None, checkpoints=True)
    database = unpack(run.part_codes(method.name, int(bits), "database"))
    query = unpack(run.part_codes(method.name, int(bits), "query"))[:int(queries)]
    np.save(out, np.concatenate([database, query]))
    print(f"{out}: {len(database):,} database and {len(query):,} query codes of {bits} bits ({method.name})")


if __name__ == "__main__":
    main(*sys.argv[1:])
