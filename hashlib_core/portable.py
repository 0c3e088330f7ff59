"""Keep the paths of the machine that ran something out of what the book publishes.

Introduced in the introduction chapter. Results files and executed chapters
replace this machine's data root, checkout and home folder by ``<data root>``,
``<repository>`` and ``~``; :func:`scrub_file` does the same to a file written
elsewhere (``python -m hashlib_core scrub-paths FILE ... --path /old/root=<data root>``).
Only path strings change; no number is touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .cache import atomic_write_text
from .runtime import repository_root

__all__ = ["machine_paths", "portable", "scrub_file"]


def machine_paths(extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``(path, placeholder)`` pairs of this machine, longest path first (plus ``extra`` ones)."""
    from .data import resolve_data_root

    places = {str(resolve_data_root()): "<data root>", str(repository_root()): "<repository>",
              str(Path.home()): "~", **(extra or {})}
    return sorted(((path, name) for path, name in places.items() if len(path) > 1), key=lambda pair: -len(pair[0]))


def portable(value: Any, places: list[tuple[str, str]] | None = None) -> Any:
    """``value`` (strings, lists, dicts) with every machine path replaced by its placeholder."""
    places = machine_paths() if places is None else places
    if isinstance(value, str):
        for path, name in places:
            value = value.replace(path, name)
        return value
    if isinstance(value, dict):
        return {key: portable(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [portable(item, places) for item in value]
    return value


def scrub_file(path: str | os.PathLike, places: list[tuple[str, str]] | None = None) -> int:
    """Replace machine paths in a text file (JSON, notebook) in place, atomically; returns how many were replaced."""
    places = machine_paths() if places is None else places
    text = Path(path).read_text()
    count = sum(text.count(found) for found, _ in places)
    if count:
        atomic_write_text(path, portable(text, places))
    return count
