"""Execute chapter notebooks with papermill: one chapter with parameters, or every missing one.

Introduced in the introduction chapter ("How to re-execute a chapter").

Chapter sources live in ``notebooks/<name>.ipynb`` with outputs stripped and a
cell tagged ``parameters`` whose defaults are the fast profile on the embedded
data. The book renders the executed copies in ``book/<name>.ipynb``; a copy
that is missing is produced from the source with its default parameters.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .runtime import repository_root

__all__ = ["repository_root", "chapter_names", "execute_chapter", "execute_missing_chapters"]


def chapter_names(root: Path | None = None) -> list[str]:
    """Names of the chapter notebooks in ``notebooks/`` (without ``.ipynb``)."""
    notebooks = (root or repository_root()) / "notebooks"
    return sorted(path.stem for path in notebooks.glob("*.ipynb"))


def execute_chapter(name: str, parameters: dict[str, Any] | None = None, *, root: Path | None = None,
                    output: Path | None = None) -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``book/<name>.ipynb`` (or ``output``).

    ``parameters`` override the notebook's ``parameters`` cell; papermill
    records them in an injected cell, so the executed copy shows how it was
    made. Raises ``ValueError`` for an unknown chapter name.
    """
    import papermill

    base = root or repository_root()
    known = chapter_names(base)
    if name not in known:
        raise ValueError(f"unknown chapter {name!r}; chapters in {base / 'notebooks'}: {known or 'none yet'}")
    target = output or base / "book" / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    papermill.execute_notebook(str(base / "notebooks" / f"{name}.ipynb"), str(target),
                               parameters=parameters or {}, cwd=str(base / "notebooks"),
                               kernel_name="python3", progress_bar=True)
    print(f"{name}: executed in {time.perf_counter() - started:.1f} s -> {target}")
    return target


def execute_missing_chapters(root: Path | None = None) -> list[Path]:
    """Execute, with default parameters, every chapter whose ``book/<name>.ipynb`` is missing."""
    base = root or repository_root()
    missing = [name for name in chapter_names(base) if not (base / "book" / f"{name}.ipynb").exists()]
    if not missing:
        print("every chapter has an executed copy in book/")
    return [execute_chapter(name, root=base) for name in missing]
