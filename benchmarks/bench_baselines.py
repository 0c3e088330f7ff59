"""Fit and encode times of the classic baselines on CIFAR-10 GIST, and GIST extraction speed (printed).

The ``cnnh`` protocol: every method fits on the 5,000 training images (KSH on
2,000 of them with 300 anchors) and encodes the 59,000 database images.
Target from the baselines issue: GIST for all 60,000 images in under 2 minutes.

    python benchmarks/bench_baselines.py --data-root DIR [--bits 32] [--gist-images 60000]
"""

from __future__ import annotations

import argparse
import time

from hashlib_core.baselines import BASELINES, make_baseline
from hashlib_core.gist import gist_descriptors
from hashlib_core.data import load_dataset
from hashlib_core.protocols import protocol_for
from hashlib_core.runtime import available_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--bits", type=int, default=32)
    parser.add_argument("--gist-images", type=int, default=60_000)
    args = parser.parse_args()
    dataset = load_dataset("cifar10", args.data_root, download=False, progress=False)
    images = dataset.images[:args.gist_images]
    started = time.perf_counter()
    features = gist_descriptors(images)
    gist_seconds = time.perf_counter() - started
    if len(images) < len(dataset):
        features = gist_descriptors(dataset.images)
    protocol = protocol_for(dataset, "cnnh", seed=0)
    labels = dataset.labels.numpy()
    print(f"GIST-512 of {len(images):,} CIFAR-10 images: {gist_seconds:.1f} s ({len(images) / gist_seconds:,.0f} "
          f"images/s, {available_cores()} cores); target: all 60,000 in < 120 s")
    print(f"{'method':<8} {'fit (5,000 train) s':>20} {'encode (59,000 db) s':>22}   at {args.bits} bits")
    for name in BASELINES:
        started = time.perf_counter()
        model = make_baseline(name, args.bits, seed=0).fit(features[protocol.train], labels[protocol.train])
        fitted = time.perf_counter()
        model.encode(features[protocol.database])
        encoded = time.perf_counter()
        print(f"{name:<8} {fitted - started:>20.3f} {encoded - fitted:>22.3f}")


if __name__ == "__main__":
    main()
