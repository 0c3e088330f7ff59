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

__all__ = ["evaluate_baseline", "reproduce_published", "ValidationJob", "validation_jobs", "run_validation",
           "ksh_variants", "ksh_sensitivity", "findings_text"]


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


def ksh_variants(profile: str) -> list[tuple[str, dict]]:
    """The readings of KSH's open setup the chapter measures: (label, KSH options); the labelled-sample counts
    scale down for the smoke profile's 5,000 digits."""
    few, usual, many = (1000, 2000, 5000) if profile == "paper" else (200, 500, 1000)
    return [(f"{usual:,} labelled, L-BFGS, kernel statistics of the labelled samples (the table)", {}),
            (f"{few:,} labelled", {"n_labeled": few}),
            (f"{many:,} labelled", {"n_labeled": many}),
            ("the authors' accelerated gradient descent", {"optimizer": "accelerated"}),
            ("kernel statistics over all fitted samples, as the authors' script", {"statistics": "all"}),
            ("unit-length features", {"normalize": "l2"}),
            ("authors' descent and statistics together", {"optimizer": "accelerated", "statistics": "all"})]


def ksh_sensitivity(jobs: list[ValidationJob], runs: Mapping[str, dict], profile: str, *, bits: int = 48,
                    seed: int = 0, progress: bool = True) -> list[dict]:
    """KSH under each of :func:`ksh_variants` for every job whose published entry has KSH, at ``bits`` (else the
    entry's longest code), on the same protocol and features as the table: one row per (dataset, variant)."""
    from tqdm import tqdm

    from .features import dataset_features

    rows = []
    for job in jobs:
        published = job.entry["values"].get("ksh")
        if not published:
            continue
        length = bits if bits in published else max(published)
        run = runs[job.dataset]
        protocol = run["protocol_objects"][job.entry["source"]]
        features, _ = dataset_features(run["data"], job.feature, progress=False)
        labels = run["data"].labels.numpy()
        for label, options in tqdm(ksh_variants(profile), desc=f"KSH variants, {job.dataset}", disable=not progress):
            result = evaluate_baseline("ksh", length, features, labels, protocol, seed=seed,
                                       **{**job.method_options.get("ksh", {}), **options})
            rows.append({"dataset": job.dataset, "source": job.entry["source"], "variant": label, "bits": length,
                         "fit_samples": result["fit_samples"], "mAP": result["value"],
                         "published": published[length], "difference": result["value"] - published[length],
                         "fit_seconds": result["fit_seconds"]})
    return rows


def _range(values) -> str:
    return f"{min(values):+.3f} to {max(values):+.3f}"


def findings_text(table, sensitivity, *, tolerance: float = 0.03) -> str:
    """Markdown bullets on where ours and the published numbers agree, written from this run's rows: the table
    (``source, dataset, metric, method, bits, ours, value_full_ranking, published, difference``) and
    :func:`ksh_sensitivity`'s rows."""
    import pandas as pd

    table, sensitivity = pd.DataFrame(table), pd.DataFrame(sensitivity)
    close, far = [], []
    for (source, dataset, method), group in table.groupby(["source", "dataset", "method"], sort=False):
        text = f"{method.upper()} on {dataset} ({source}; {_range(group['difference'])})"
        (close if group["difference"].abs().max() <= tolerance else far).append(text)
    lines = [f"* **Within {tolerance} of the published value at every code length:** "
             + ("; ".join(close) if close else "none") + ".",
             "* **Further off at some code length:** " + ("; ".join(far) if far else "none") + "."]
    for (source, metric), group in table[table["metric"] != "mAP"].groupby(["source", "metric"], sort=False):
        at_depth = group["ours"] - group["published"]
        full = group["value_full_ranking"] - group["published"]
        verdict = ("so the printed numbers behave like mAP over the whole ranking, not at the printed depth"
                   if full.abs().max() < at_depth.abs().max() else "so the printed depth fits better")
        lines.append(f"* **{source}, printed as {metric}:** ours at that depth differs from the printed values by "
                     f"{_range(at_depth)}; our mAP over the whole ranking of the same codes by {_range(full)}, "
                     f"{verdict}.")
    ties = (table["value_expected_ties"] - table["ours"]).abs()
    worst = table.loc[ties.idxmax()]
    lines.append(f"* **Ties:** the expected-ties column differs from index order by at most {ties.max():.3f} "
                 f"({worst['method'].upper()}, {worst['source']}, {worst['bits']} bits).")
    for dataset, group in sensitivity.groupby("dataset", sort=False) if len(sensitivity) else []:
        best = group.loc[group["mAP"].idxmax()]
        closes = abs(best["difference"]) <= tolerance
        lines.append(f"* **KSH on {dataset} at {best['bits']} bits:** {group['mAP'].min():.3f} to "
                     f"{group['mAP'].max():.3f} across the readings of its setup (best: {best['variant']}, "
                     f"{best['difference']:+.3f} against the published {best['published']:.3f}); "
                     + ("that reading closes the gap." if closes else "no reading closes the gap."))
    return "\n".join(lines)
