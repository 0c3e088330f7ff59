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

The book's tables are built from these rows, and ``diff`` of two files shows
what changed between two runs.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .runtime import repository_root
from .runtime import environment_record

__all__ = ["write_results", "read_results", "metric_value"]


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and paths -> JSON types."""
    if hasattr(value, "tolist"):
        return value.tolist()
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
    path.write_text(json.dumps(_plain(record), indent=1) + "\n")
    return path


def read_results(path: str | os.PathLike) -> dict:
    """Read a results file written by :func:`write_results`."""
    return json.loads(Path(path).read_text())


def metric_value(results: dict, name: str, method: str, bits: int | None = None) -> float:
    """The value of one metric row; ``KeyError`` naming what was looked for when absent."""
    for row in results["metrics"]:
        if row["name"] == name and row["method"] == method and row.get("bits") == bits:
            return row["value"]
    raise KeyError(f"no metric {name!r} for method {method!r} at {bits} bits")
