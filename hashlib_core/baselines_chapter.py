"""The classic-baselines chapter's experiment: baselines under each published table's protocol, ours beside theirs.

Introduced in the classic-baselines chapter (the fitting itself is
:mod:`hashlib_core.baselines.on_protocol`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .baselines.on_protocol import baseline_codes
from .metrics import hamming_map
from .protocols import Protocol, make_protocol

__all__ = ["evaluate_baseline", "reproduce_published", "ValidationJob", "validation_jobs", "run_validation"]


def evaluate_baseline(method: str, bits: int, features: np.ndarray, labels: np.ndarray, protocol: Protocol, *,
                      depth: int | None = None, seed: int = 0, fit_split: str | None = None,
                      **options) -> dict:
    """Fit one method, encode queries and database, and return mAP and timings.

    ``value``: mAP at ``depth`` (None = full ranking), ties in index order;
    ``value_expected_ties``: the same with the expectation over tie orders;
    ``value_full_ranking``: mAP over the whole ranking, whatever ``depth``.
    """
    run = baseline_codes(method, bits, features, labels, protocol, seed=seed, fit_split=fit_split, **options)
    query_codes, database_codes = run.pop("query_codes"), run.pop("database_codes")
    query_labels, database_labels = labels[protocol.query], labels[protocol.database]
    return {"method": method, "bits": bits, **run,
            "value": hamming_map(query_codes, database_codes, query_labels, database_labels, depth),
            "value_expected_ties": hamming_map(query_codes, database_codes, query_labels, database_labels, depth,
                                               ties="expected"),
            "value_full_ranking": hamming_map(query_codes, database_codes, query_labels, database_labels)}


def reproduce_published(entry: dict, features: np.ndarray, labels: np.ndarray, is_test: np.ndarray, *,
                        seed: int = 0, protocol_settings: dict | None = None, method_options: dict | None = None,
                        progress: bool = True) -> tuple[Protocol, list[dict]]:
    """Every (method, bits) of a :data:`hashlib_core.published.PUBLISHED_BASELINES` entry, ours beside theirs.

    Returns the protocol used and one row per (method, bits) with ``name``
    (the entry's metric), ``value`` (ours), ``published`` and ``difference``.
    """
    from tqdm import tqdm

    protocol = make_protocol(entry["protocol"], labels, is_test, seed=seed, **(protocol_settings or {}))
    jobs = [(method, bits) for method, per_bits in entry["values"].items() for bits in per_bits]
    rows = []
    for method, bits in tqdm(jobs, desc=entry["source"], disable=not progress):
        row = evaluate_baseline(method, bits, features, labels, protocol, depth=entry["depth"], seed=seed,
                                **(method_options or {}).get(method, {}))
        published = entry["values"][method][bits]
        rows.append({"name": entry["metric"], **row, "published": published, "difference": row["value"] - published,
                     "source": entry["source"], "protocol": entry["protocol"], "feature": entry["feature"]})
    return protocol, rows


@dataclass(frozen=True)
class ValidationJob:
    """One published table the classic-baselines chapter reproduces: the dataset, the feature fed to the methods,
    the published entry (restricted to the code lengths run), protocol size settings and per-method options."""

    dataset: str
    feature: str
    entry: Mapping[str, Any]
    protocol_settings: Mapping[str, Any] = field(default_factory=dict)
    method_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .baselines import BASELINES
        from .features import FEATURE_KINDS
        from .protocols import DEFAULTS

        if self.feature not in FEATURE_KINDS:
            raise ValueError(f"ValidationJob.feature must be one of {', '.join(FEATURE_KINDS)}, got {self.feature!r}")
        unknown = set(self.protocol_settings) - set(DEFAULTS[self.entry["protocol"]])
        if unknown:
            raise ValueError(f"ValidationJob.protocol_settings: protocol {self.entry['protocol']!r} has no "
                             f"setting(s) {sorted(unknown)}")
        if set(self.method_options) - set(BASELINES):
            raise ValueError(f"ValidationJob.method_options names unknown methods "
                             f"{sorted(set(self.method_options) - set(BASELINES))}")


def validation_jobs(profile: str) -> list[ValidationJob]:
    """What the classic-baselines chapter runs: ``smoke`` (embedded MNIST, seconds) or ``paper``."""
    from .published import PUBLISHED_BASELINES

    if profile == "paper":
        return [ValidationJob(entry["dataset"], entry["feature"], entry) for entry in PUBLISHED_BASELINES]
    if profile == "smoke":
        mnist = next(entry for entry in PUBLISHED_BASELINES if entry["dataset"] == "mnist")
        smaller = {**mnist, "values": {method: {bits: value for bits, value in per_bits.items() if bits in (12, 32)}
                                       for method, per_bits in mnist["values"].items()},
                   "note": "smoke run on the embedded 5,000 digits with 200 queries: not comparable to the paper"}
        return [ValidationJob("mnist5k", "pixels", smaller,
                              {"queries_per_class": 20, "train_per_class": 200, "validation_per_class": 0},
                              {"ksh": {"n_labeled": 500, "n_anchors": 100}})]
    raise ValueError(f"profile must be 'smoke' or 'paper', got {profile!r}")


def run_validation(jobs: list[ValidationJob], data_root=None, *, seed: int = 0, progress: bool = True):
    """Run :func:`validation_jobs` entries: load each dataset once, compute (or read) its features, reproduce.

    Returns ``(rows, runs)``: one row per (entry, method, bits) with ``dataset``
    and ``metric`` added, and per dataset name ``{"data", "stages" (seconds per
    stage), "protocols" (describe() per source), "protocol_objects"}``.
    """
    from .data import load_dataset
    from .features import dataset_features

    rows, runs = [], {}
    for job in jobs:
        run = runs.setdefault(job.dataset, {"data": load_dataset(job.dataset, data_root, progress=progress),
                                               "stages": {}, "protocols": {}, "protocol_objects": {}})
        features, feature_seconds = dataset_features(run["data"], job.feature, progress=progress)
        run["stages"][f"{job.feature} features"] = feature_seconds
        started = time.perf_counter()
        source = job.entry["source"]
        protocol, entry_rows = reproduce_published(job.entry, features, run["data"].labels.numpy(),
                                                   run["data"].is_test.numpy(), seed=seed,
                                                   protocol_settings=job.protocol_settings,
                                                   method_options=job.method_options, progress=progress)
        run["stages"][source] = time.perf_counter() - started
        run["protocols"][source] = protocol.describe()
        run["protocol_objects"][source] = protocol
        rows += [{**row, "dataset": job.dataset, "metric": job.entry["metric"]} for row in entry_rows]
        print(f"{source} on {job.dataset}: {len(entry_rows)} runs, {run['stages'][source]:.1f} s; "
              f"protocol checksum {protocol.checksum[:12]}")
    return rows, runs
