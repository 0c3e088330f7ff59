"""Run classic baselines under a published table's protocol and put ours beside the quoted numbers.

Introduced in the classic-baselines chapter.
"""

from __future__ import annotations

import time

import numpy as np

from ..metrics import hamming_map
from ..protocols import Protocol, make_protocol
from . import make_baseline

__all__ = ["FIT_SPLIT", "baseline_codes", "evaluate_baseline", "reproduce_published", "validation_jobs", "run_validation"]

# CNNBH, Sec. 4: "For LSH and KSH, all the data except the query set were training set"; the other
# methods learn from the protocol's training images.
FIT_SPLIT = {"lsh": "database", "ksh": "database"}


def baseline_codes(method: str, bits: int, features: np.ndarray, labels: np.ndarray, protocol: Protocol, *,
                   seed: int = 0, fit_split: str | None = None, **options) -> dict:
    """Fit one method on the split the sources name and encode the protocol's queries and database.

    Returns ``query_codes``, ``database_codes`` (packed), ``fit_on``,
    ``fit_samples``, ``fit_seconds`` and ``encode_seconds``.
    """
    split = fit_split or FIT_SPLIT.get(method, "train")
    fit_indices = getattr(protocol, split)
    started = time.perf_counter()
    model = make_baseline(method, bits, seed=seed, **options).fit(features[fit_indices], labels[fit_indices])
    fitted = time.perf_counter()
    query_codes = model.encode(features[protocol.query])
    database_codes = model.encode(features[protocol.database])
    return {"query_codes": query_codes, "database_codes": database_codes, "fit_on": split,
            "fit_samples": len(fit_indices), "fit_seconds": fitted - started,
            "encode_seconds": time.perf_counter() - fitted}


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


def validation_jobs(profile: str) -> list[dict]:
    """What the classic-baselines chapter runs: ``smoke`` (embedded MNIST, seconds) or ``paper``.

    Each job names a dataset, the feature fed to the methods, a published
    entry (restricted to the code lengths run), and protocol/method settings.
    """
    from ..published import PUBLISHED_BASELINES

    if profile == "paper":
        return [{"dataset": entry["dataset"], "feature": entry["feature"], "entry": entry, "protocol_settings": {},
                 "method_options": {}} for entry in PUBLISHED_BASELINES]
    if profile == "smoke":
        mnist = next(entry for entry in PUBLISHED_BASELINES if entry["dataset"] == "mnist")
        smaller = {**mnist, "values": {method: {bits: value for bits, value in per_bits.items() if bits in (12, 32)}
                                       for method, per_bits in mnist["values"].items()},
                   "note": "smoke run on the embedded 5,000 digits with 200 queries: not comparable to the paper"}
        return [{"dataset": "mnist5k", "feature": "pixels", "entry": smaller,
                 "protocol_settings": {"queries_per_class": 20, "train_per_class": 200, "validation_per_class": 0},
                 "method_options": {"ksh": {"n_labeled": 500, "n_anchors": 100}}}]
    raise ValueError(f"profile must be 'smoke' or 'paper', got {profile!r}")


def run_validation(jobs: list[dict], data_root=None, *, seed: int = 0, progress: bool = True):
    """Run :func:`validation_jobs` entries: load each dataset once, compute (or read) its features, reproduce.

    Returns ``(rows, runs)``: one row per (entry, method, bits) with ``dataset``
    and ``metric`` added, and per dataset name ``{"data", "stages" (seconds per
    stage), "protocols" (describe() per source), "protocol_objects"}``.
    """
    from ..data import load_dataset
    from ..features import dataset_features

    rows, runs = [], {}
    for job in jobs:
        run = runs.setdefault(job["dataset"], {"data": load_dataset(job["dataset"], data_root, progress=progress),
                                               "stages": {}, "protocols": {}, "protocol_objects": {}})
        features, feature_seconds = dataset_features(run["data"], job["feature"], progress=progress)
        run["stages"][f"{job['feature']} features"] = feature_seconds
        started = time.perf_counter()
        source = job["entry"]["source"]
        protocol, entry_rows = reproduce_published(job["entry"], features, run["data"].labels.numpy(),
                                                   run["data"].is_test.numpy(), seed=seed,
                                                   protocol_settings=job["protocol_settings"],
                                                   method_options=job["method_options"], progress=progress)
        run["stages"][source] = time.perf_counter() - started
        run["protocols"][source] = protocol.describe()
        run["protocol_objects"][source] = protocol
        rows += [{**row, "dataset": job["dataset"], "metric": job["entry"]["metric"]} for row in entry_rows]
        print(f"{source} on {job['dataset']}: {len(entry_rows)} runs, {run['stages'][source]:.1f} s; "
              f"protocol checksum {protocol.checksum[:12]}")
    return rows, runs
