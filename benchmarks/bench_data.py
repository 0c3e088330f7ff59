"""Cold and warm load times of CIFAR-10 from the image-folder copy (printed, not a test).

Cold: decode every JPEG (a fresh, empty cache folder); warm: read the cached
uint8 arrays. Needs ``<data root>/cifar10/{train,test}`` (see shared/data/README.md).

    python benchmarks/bench_data.py --data-root DIR
"""

from __future__ import annotations

import argparse
import tempfile
import time

from hashlib_core.data import DatasetNotFoundError, load_dataset
from hashlib_core.runtime import available_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--warm-runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        started = time.perf_counter()
        try:
            dataset = load_dataset("cifar10", args.data_root, download=False, cache_dir=cache_dir, progress=False)
        except DatasetNotFoundError as error:
            print(f"skipped the CIFAR-10 load benchmark: {error}")
            return
        cold = time.perf_counter() - started
        warm = []
        for _ in range(args.warm_runs):
            started = time.perf_counter()
            load_dataset("cifar10", args.data_root, download=False, cache_dir=cache_dir, progress=False)
            warm.append(time.perf_counter() - started)
    print(f"CIFAR-10 from {dataset.source}: {len(dataset):,} images, {available_cores()} cores")
    print(f"cold (decode all JPEGs + write cache): {cold:6.2f} s  ({len(dataset) / cold:,.0f} images/s)")
    print(f"warm (cached uint8 arrays), best of {args.warm_runs}: {min(warm):6.2f} s")


if __name__ == "__main__":
    main()
