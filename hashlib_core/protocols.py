"""Named, seeded, checksummed evaluation protocols: which images are queries, training, database.

Introduced in the introduction chapter ("Protocols"); every chapter names one.

Indices refer to a dataset's combined index space (training split first, then
the test split: :class:`hashlib_core.data.ImageDataset`).

==========  ==========================================  ===================  ===========================
name        queries                                     training             database
==========  ==========================================  ===================  ===========================
``cnnh``    100 per class from all images               500 per class from   everything but the queries
                                                        the non-queries
``dlbhc``   1,000 random test images (``n_queries``;    the training split   the training split
            ``None``: all test images, for mAP@1000)
``zeng``    1,000 random test images                    the training split   the other test images
``deepbit`` every test image                            the training split   the training split
                                                        (labels unused)
``flowers`` 20 per class (``test_per_class``)           40 per class         the training images
                                                        (labels unused)
==========  ==========================================  ===================  ===========================

``flowers`` is Oxford-17's split (Nilsback and Zisserman: 40 training, 20
validation and 20 test images per class) drawn with the seed from all images,
since the official split files are not shipped here; the 20 validation images
per class are drawn too (``validation``) and left unused, as USDH ignores them.

Validation images for model selection never overlap the queries. For
``cnnh`` they come from the database images outside the training set (the
5,000 training images stay intact); for the others they are held out of the
training split (``validation_size``, default 0 = none).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cache import atomic_savez
from .codes import as_numpy

__all__ = ["PROTOCOLS", "Protocol", "make_protocol", "protocol_for", "load_protocol"]

PROTOCOLS = ("cnnh", "dlbhc", "zeng", "deepbit", "flowers")
DEFAULTS: dict[str, dict[str, Any]] = {
    "cnnh": {"queries_per_class": 100, "train_per_class": 500, "validation_per_class": 100},
    "dlbhc": {"n_queries": 1000, "validation_size": 0},
    "zeng": {"n_queries": 1000, "validation_size": 0},
    "deepbit": {"validation_size": 0},
    "flowers": {"train_per_class": 40, "validation_per_class": 20, "test_per_class": 20},
}


@dataclass(frozen=True)
class Protocol:
    """One split of a dataset: sorted int64 index arrays and how they were drawn.

    ``checksum`` (sha256 over the protocol name, seed and the four index
    arrays) identifies the exact images; results files record it.
    """

    name: str
    seed: int
    query: np.ndarray
    train: np.ndarray
    database: np.ndarray
    validation: np.ndarray
    settings: dict = field(default_factory=dict)
    supervised: bool = True

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256(f"{self.name}:{self.seed}".encode())
        for part in (self.query, self.train, self.database, self.validation):
            digest.update(np.int64(len(part)).tobytes())
            digest.update(np.ascontiguousarray(part, dtype=np.int64).data)
        return digest.hexdigest()

    def describe(self, labels: Any | None = None) -> dict:
        """Sizes (and per-class counts when ``labels`` are given), settings and checksum."""
        summary: dict[str, Any] = {"protocol": self.name, "seed": self.seed, "checksum": self.checksum,
                                   "supervised": self.supervised, "settings": dict(self.settings)}
        values = None if labels is None else as_numpy(labels, "labels")
        for part in ("query", "train", "database", "validation"):
            indices = getattr(self, part)
            summary[part] = len(indices)
            if values is not None and len(indices):
                summary[f"{part}_per_class"] = np.bincount(values[indices]).tolist()
        return summary

    def save(self, path: str | os.PathLike) -> Path:
        """Write the index arrays and settings to ``path`` (``.npz`` is appended when missing), atomically;
        returns the path written."""
        target = Path(path)
        if target.suffix != ".npz":
            target = target.with_name(target.name + ".npz")
        meta = json.dumps({"name": self.name, "seed": self.seed, "settings": self.settings,
                           "supervised": self.supervised, "checksum": self.checksum})
        return atomic_savez(target, query=self.query, train=self.train, database=self.database,
                            validation=self.validation, meta=np.array(meta))


def load_protocol(path: str | os.PathLike) -> Protocol:
    """Read a protocol written by :meth:`Protocol.save`; a damaged file or a checksum mismatch raises
    ``ValueError`` naming the file."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            protocol = Protocol(meta["name"], meta["seed"], stored["query"], stored["train"], stored["database"],
                                stored["validation"], meta["settings"], meta["supervised"])
    except FileNotFoundError:
        raise
    except Exception as error:  # BadZipFile, KeyError, JSONDecodeError, ... depending on the damage
        raise ValueError(f"{path}: not a readable protocol file ({type(error).__name__}: {error}); draw the "
                         "protocol again with make_protocol and save it") from error
    if protocol.checksum != meta["checksum"]:
        raise ValueError(f"{path}: index arrays do not match their recorded checksum (file edited or damaged)")
    return protocol


def _per_class(labels: np.ndarray, candidates: np.ndarray, per_class: int, rng: np.random.Generator,
               what: str) -> np.ndarray:
    chosen = []
    for label in np.unique(labels):
        pool = candidates[labels[candidates] == label]
        if len(pool) < per_class:
            raise ValueError(f"{what}: class {label} has only {len(pool)} images left, {per_class} requested; "
                             f"lower the per-class count for this dataset")
        chosen.append(rng.choice(pool, per_class, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, np.int64)


def _random(candidates: np.ndarray, count: int | None, rng: np.random.Generator, what: str) -> np.ndarray:
    if count is None:
        return np.sort(candidates)
    if isinstance(count, bool) or int(count) != count or count < 0:
        raise ValueError(f"{what} must be a non-negative integer or None, got {count!r}")
    if count > len(candidates):
        raise ValueError(f"{what}={count} but only {len(candidates)} images are available")
    return np.sort(rng.choice(candidates, int(count), replace=False))


def make_protocol(name: str, labels: Any, is_test: Any, *, seed: int = 0, **settings: Any) -> Protocol:
    """Draw protocol ``name`` (one of :data:`PROTOCOLS`) over labels and test-split membership.

    ``labels``: (n,) int class ids; ``is_test``: (n,) bool. ``settings``
    override the protocol's sizes (``queries_per_class``, ``train_per_class``,
    ``validation_per_class`` for ``cnnh``; ``train_per_class``,
    ``validation_per_class``, ``test_per_class`` for ``flowers``; ``n_queries``,
    ``validation_size`` for the others), e.g. to fit the 5,000-image embedded MNIST. The same
    seed always gives the same indices.
    """
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; choose one of {', '.join(PROTOCOLS)}")
    unknown = set(settings) - set(DEFAULTS[name])
    if unknown:
        raise ValueError(f"protocol {name!r} has no setting(s) {sorted(unknown)}; it takes {sorted(DEFAULTS[name])}")
    labels = as_numpy(labels, "labels").astype(np.int64)
    is_test = as_numpy(is_test, "is_test").astype(bool)
    if labels.ndim != 1 or labels.shape != is_test.shape:
        raise ValueError(f"labels and is_test must be 1-D and the same length, got {labels.shape} and {is_test.shape}")
    distinct = np.unique(labels)
    if len(labels) and (distinct[0] < 0 or distinct[-1] >= max(len(distinct), 1) * 1000):
        raise ValueError(f"labels must be class ids 0..C-1; found {len(distinct)} classes with ids from "
                         f"{distinct[0]} to {distinct[-1]}. Map them first: np.unique(labels, return_inverse=True)[1]")
    for key, value in settings.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"protocol {name!r}: {key} must be a non-negative integer"
                             f"{' or None' if DEFAULTS[name][key] is None or key == 'n_queries' else ''}, "
                             f"got {value!r}")
    protocol = _draw(name, labels, is_test, seed, {**DEFAULTS[name], **settings})
    for part in ("query", "train", "database"):
        if len(getattr(protocol, part)) == 0:
            raise ValueError(f"protocol {name!r} with {dict(settings) or 'its default sizes'} leaves no {part} "
                             "images; raise the sizes that feed it or use a larger dataset")
    return protocol


def _draw(name: str, labels: np.ndarray, is_test: np.ndarray, seed: int, options: dict) -> Protocol:
    """Draw the index arrays of protocol ``name`` with validated ``options``."""
    rng = np.random.default_rng(seed)
    everything = np.arange(len(labels))
    train_split, test_split = everything[~is_test], everything[is_test]
    empty = np.empty(0, np.int64)
    if name == "cnnh":
        query = _per_class(labels, everything, options["queries_per_class"], rng, "cnnh queries")
        rest = np.setdiff1d(everything, query)
        train = _per_class(labels, rest, options["train_per_class"], rng, "cnnh training images")
        validation = _per_class(labels, np.setdiff1d(rest, train), options["validation_per_class"], rng,
                                "cnnh validation images") if options["validation_per_class"] else empty
        return Protocol(name, seed, query, train, rest, validation, options)
    if name == "flowers":
        train = _per_class(labels, everything, options["train_per_class"], rng, "flowers training images")
        rest = np.setdiff1d(everything, train)
        validation = _per_class(labels, rest, options["validation_per_class"], rng, "flowers validation images")
        query = _per_class(labels, np.setdiff1d(rest, validation), options["test_per_class"], rng,
                           "flowers test images")
        return Protocol(name, seed, query, train, train, validation, options, supervised=False)
    if len(test_split) == 0 or len(train_split) == 0:
        raise ValueError(f"protocol {name!r} needs both a training and a test split")
    validation = _random(train_split, options["validation_size"], rng, "validation_size")
    train = np.setdiff1d(train_split, validation)
    if name == "dlbhc":
        query = _random(test_split, options["n_queries"], rng, "n_queries")
        return Protocol(name, seed, query, train, train_split, validation, options)
    if name == "zeng":
        query = _random(test_split, options["n_queries"], rng, "n_queries")
        return Protocol(name, seed, query, train, np.setdiff1d(test_split, query), validation, options)
    return Protocol(name, seed, test_split, train, train_split, validation, options, supervised=False)


def protocol_for(dataset: Any, name: str, *, seed: int = 0, **settings: Any) -> Protocol:
    """:func:`make_protocol` over a :class:`hashlib_core.data.ImageDataset`."""
    return make_protocol(name, dataset.labels, dataset.is_test, seed=seed, **settings)
