"""Results files: the numbers a chapter run reports, with everything needed to reproduce or diff them.

Introduced in the classic-baselines chapter; every chapter writes one file per
dataset, ``results/<chapter>/<dataset>.json``:

* ``dataset`` (name, sizes, source, checksum, notes), ``protocol`` (name,
  seed, sizes, checksum), ``code_lengths``;
* ``metrics``: a list of ``{"name", "method", "bits", "value"}`` rows (plus any
  extra keys a chapter needs) -- every number in the chapter's tables;
* ``stage_seconds``: wall time per stage; ``parameters``: what papermill
  injected; ``seed``; ``environment``: device, cores, package versions;
  ``created``: UTC time.

No path of the machine that wrote a file appears in it (its data root,
checkout and home folder are replaced by ``<data root>``, ``<repository>``
and ``~``). Files are strict JSON (a NaN or infinite number is written as ``null``) and
written atomically, so a crash never leaves a truncated file in place of a
good one; :func:`read_results` checks the schema and names the file in its errors.

The book's tables are built from these rows, and ``diff`` of two files shows
what changed between two runs.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .cache import atomic_write_text
from .portable import portable
from .runtime import environment_record, repository_root

__all__ = ["write_results", "read_results", "metric_value", "ResultsFileError", "REQUIRED_KEYS"]


REQUIRED_KEYS = ("chapter", "dataset", "protocol", "code_lengths", "metrics", "stage_seconds", "parameters", "seed",
                 "environment", "created")


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and paths -> JSON types; NaN and infinities -> None (strict JSON has neither)."""
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def write_results(chapter: str, dataset: dict, protocol: dict, metrics: list[dict], *, code_lengths: list[int],
                  stage_seconds: dict[str, float], parameters: dict, seed: int, device: str = "cpu",
                  directory: str | os.PathLike | None = None) -> Path:
    """Write ``results/<chapter>/<dataset name>.json`` (see the module docstring); returns the path."""
    for row in metrics:
        missing = {"name", "method", "value"} - set(row)
        if missing:
            raise ValueError(f"metric row {row} lacks {sorted(missing)}")
    record = {"chapter": chapter, "dataset": dataset, "protocol": protocol, "code_lengths": list(code_lengths),
              "metrics": metrics, "stage_seconds": {key: round(float(value), 2) for key, value in stage_seconds.items()},
              "parameters": parameters, "seed": seed, "environment": environment_record(device),
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    folder = Path(directory) if directory is not None else repository_root() / "results" / chapter
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset['name']}.json"
    return atomic_write_text(path, json.dumps(portable(_plain(record)), indent=1, allow_nan=False) + "\n")


class ResultsFileError(ValueError):
    """A results file is missing pieces, damaged or not JSON; the message names the file."""


def read_results(path: str | os.PathLike, *, required: tuple[str, ...] = REQUIRED_KEYS) -> dict:
    """Read a results file written by :func:`write_results`, checking that ``required`` keys are there
    (study files written by benchmarks pass their own, e.g. ``("runs",)``)."""
    source = Path(path)
    try:
        record = json.loads(source.read_text())
    except json.JSONDecodeError as error:
        raise ResultsFileError(f"{source}: not valid JSON ({error}); restore it with git checkout or re-run "
                               "the chapter that writes it") from error
    if not isinstance(record, dict):
        raise ResultsFileError(f"{source}: expected a JSON object, found {type(record).__name__}")
    missing = [key for key in required if key not in record]
    if missing:
        raise ResultsFileError(f"{source}: missing {', '.join(missing)}; not a results file of this book, or damaged")
    if "metrics" in required and not all(isinstance(row, dict) and {"name", "method", "value"} <= set(row)
                                         for row in record["metrics"]):
        raise ResultsFileError(f"{source}: every metric row needs name, method and value")
    return record


def metric_value(results: dict, name: str, method: str, bits: int | None = None) -> float:
    """The value of one metric row; ``KeyError`` naming what was looked for when absent."""
    for row in results["metrics"]:
        if row["name"] == name and row["method"] == method and row.get("bits") == bits:
            return row["value"]
    raise KeyError(f"no metric {name!r} for method {method!r} at {bits} bits")
