"""Fit a classic baseline on the split of a protocol its sources name, and encode with it.

Introduced in the classic-baselines chapter; the generic chapter run
(:func:`hashlib_core.experiment.run_method`) uses :func:`fit_and_encode`.
"""

from __future__ import annotations

import time

import numpy as np

from ..codes import PackedCodes
from ..protocols import Protocol
from . import make_baseline

__all__ = ["FIT_SPLIT", "fit_split_of", "baseline_codes", "fit_and_encode"]

# CNNBH, Sec. 4: "For LSH and KSH, all the data except the query set were training set"; the other
# methods learn from the protocol's training images.
FIT_SPLIT = {"lsh": "database", "ksh": "database"}


def fit_split_of(method: str, fit_split: str | None = None) -> str:
    """The protocol part a baseline is fitted on: ``fit_split`` if given, else :data:`FIT_SPLIT`, else ``train``."""
    return fit_split or FIT_SPLIT.get(method, "train")


def fit_and_encode(method: str, bits: int, features: np.ndarray, labels: np.ndarray | None, protocol: Protocol, *,
                   seed: int = 0, fit_split: str | None = None, **options) -> tuple[PackedCodes, float]:
    """Fit ``method`` on its split of ``protocol`` and encode *every* row of ``features``.

    ``features``: (n, d) float32 for every image of the dataset; ``labels``:
    (n,) class ids, or None on an unsupervised protocol (supervised baselines
    then refuse to fit). Returns the packed codes and the fit seconds.
    """
    fit_indices = getattr(protocol, fit_split_of(method, fit_split))
    started = time.perf_counter()
    model = make_baseline(method, bits, seed=seed, **options)
    if model.supervised and labels is None:
        raise ValueError(f"{method} is supervised, but protocol {protocol.name!r} gives no labels for training")
    model.fit(features[fit_indices], None if labels is None else labels[fit_indices])
    seconds = time.perf_counter() - started
    return model.encode(features), seconds


def baseline_codes(method: str, bits: int, features: np.ndarray, labels: np.ndarray, protocol: Protocol, *,
                   seed: int = 0, fit_split: str | None = None, **options) -> dict:
    """Fit one method on the split the sources name and encode the protocol's queries and database.

    Returns ``query_codes``, ``database_codes`` (packed), ``fit_on``,
    ``fit_samples``, ``fit_seconds`` and ``encode_seconds``.
    """
    split = fit_split_of(method, fit_split)
    fit_indices = getattr(protocol, split)
    started = time.perf_counter()
    model = make_baseline(method, bits, seed=seed, **options).fit(features[fit_indices], labels[fit_indices])
    fitted = time.perf_counter()
    query_codes = model.encode(features[protocol.query])
    database_codes = model.encode(features[protocol.database])
    return {"query_codes": query_codes, "database_codes": database_codes, "fit_on": split,
            "fit_samples": len(fit_indices), "fit_seconds": fitted - started,
            "encode_seconds": time.perf_counter() - fitted}
