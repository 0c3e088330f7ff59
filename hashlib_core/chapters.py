"""Execute chapter notebooks with papermill: one chapter with parameters, or every missing one.

Introduced in the introduction chapter ("How to re-execute a chapter").

Chapter sources live in ``notebooks/<name>.ipynb`` with outputs stripped and a
cell tagged ``parameters`` whose defaults are the fast profile on the embedded
data. The book renders the executed copies in ``book/<name>.ipynb``; a copy
that is missing is produced from the source with its default parameters.

A run executes into a temporary file and replaces the executed copy only when
every cell succeeded: a failed or interrupted run leaves the previous copy
byte-identical and keeps the failed notebook under ``_build/failed/``. Replacing
an executed copy of another profile than ``smoke`` by a run of a different
profile needs ``replace_profile=True`` (``--replace-profile``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .data import DATA_ROOT_ENV
from .portable import machine_paths, scrub_file
from .runtime import repository_root

__all__ = ["repository_root", "chapter_names", "chapter_parameters", "executed_profile", "ChapterRunError",
           "execute_chapter", "execute_missing_chapters"]


class ChapterRunError(RuntimeError):
    """A chapter run failed; the message says why, that the executed copy is unchanged, and where the failed
    notebook was kept."""


def chapter_names(root: Path | None = None) -> list[str]:
    """Names of the chapter notebooks in ``notebooks/`` (without ``.ipynb``)."""
    notebooks = (root or repository_root()) / "notebooks"
    return sorted(path.stem for path in notebooks.glob("*.ipynb"))


def chapter_parameters(name: str, root: Path | None = None) -> dict[str, Any]:
    """The parameters a chapter declares in its ``parameters`` cell, with their defaults."""
    import papermill

    source = (root or repository_root()) / "notebooks" / f"{name}.ipynb"
    return {key: spec["default"] for key, spec in papermill.inspect_notebook(str(source)).items()}


def executed_profile(path: Path, root: Path | None = None) -> str | None:
    """The ``profile`` an executed copy was run with (papermill's record; the source's default when not
    injected), or None when the file is not an executed chapter."""
    try:
        metadata = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
    except (OSError, ValueError):
        return None
    injected = metadata.get("parameters", {})
    if "profile" in injected:
        return str(injected["profile"])
    default = chapter_parameters(path.stem, root).get("profile") if metadata else None
    return None if default is None else str(default).strip("'\"")


def _kernel_manager_class():
    """A kernel manager on IPC sockets: no 'running over TCP without encryption' banner in every run."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

    return IPCKernelManager


def _failure_summary(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    name, value = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
    return f"{name}: {value}".strip().splitlines()[0] if value else name


def execute_chapter(name: str, parameters: dict[str, Any] | None = None, *, root: Path | None = None,
                    output: Path | None = None, replace_profile: bool = False, progress_bar: bool = True) -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``book/<name>.ipynb`` (or ``output``).

    ``parameters`` override the notebook's ``parameters`` cell (unknown names
    raise ``ValueError`` listing the known ones); papermill records them in an
    injected cell, so the executed copy shows how it was made. A ``data_root``
    is handed to the kernel as ``$HASHING_BOOK_DATA`` instead, so the executed
    copy never shows a path of the machine that ran it. The copy is
    replaced only on success; on failure or Ctrl-C :class:`ChapterRunError`
    (or the ``KeyboardInterrupt``) says where the failed notebook was kept.
    """
    import papermill

    base = root or repository_root()
    known = chapter_names(base)
    if name not in known:
        raise ValueError(f"unknown chapter {name!r}; chapters in {base / 'notebooks'}: {known or 'none yet'}")
    parameters = dict(parameters or {})
    declared = chapter_parameters(name, base)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(f"chapter {name!r} has no parameter(s) {', '.join(unknown)}; it takes: {', '.join(declared)}")
    target = Path(output) if output is not None else base / "book" / f"{name}.ipynb"
    existing = executed_profile(target, base) if target.exists() else None
    wanted = str(parameters.get("profile", str(declared.get("profile", "")).strip("'\"")))
    if existing not in (None, "smoke") and wanted != existing and not replace_profile:
        raise ValueError(f"{target} holds a {existing!r}-profile run; a {wanted!r}-profile run would replace it. "
                         "Pass --replace-profile (replace_profile=True) to do so, or -o OTHER.ipynb to write elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.stem}.running.ipynb")
    started = time.perf_counter()
    # the data root reaches the kernel through the environment, so no machine path lands in the executed copy
    environment = {**os.environ}
    if parameters.get("data_root") is not None:
        os.environ[DATA_ROOT_ENV] = str(Path(str(parameters.pop("data_root"))).expanduser().resolve())
    try:
        papermill.execute_notebook(str(base / "notebooks" / f"{name}.ipynb"), str(temporary), parameters=parameters,
                                   cwd=str(base / "notebooks"), kernel_name="python3", progress_bar=progress_bar,
                                   kernel_manager_class=_kernel_manager_class())
    except BaseException as error:
        kept = base / "_build" / "failed" / f"{name}.ipynb"
        if temporary.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, kept)
        where = f"the failed notebook is kept at {kept}" if kept.exists() else "nothing was executed"
        message = f"{name}: {_failure_summary(error)}; {target} is unchanged; {where}"
        if isinstance(error, KeyboardInterrupt):
            print(message, file=sys.stderr)
            raise
        raise ChapterRunError(message) from error
    finally:
        os.environ.clear()
        os.environ.update(environment)
    scrub_file(temporary, machine_paths({str(base): "<repository>"}))  # papermill's paths, 'wrote <path>' lines
    os.replace(temporary, target)
    print(f"{name}: executed in {time.perf_counter() - started:.1f} s -> {target}")
    return target


def _needs_execution(path: Path) -> bool:
    """Missing, unreadable, or recorded by papermill as failed."""
    try:
        metadata = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
    except (OSError, ValueError):
        return True
    return bool(metadata.get("exception"))


def execute_missing_chapters(root: Path | None = None) -> list[Path]:
    """Execute, with default parameters, every chapter whose ``book/<name>.ipynb`` is missing or failed."""
    base = root or repository_root()
    missing = [name for name in chapter_names(base) if _needs_execution(base / "book" / f"{name}.ipynb")]
    if not missing:
        print("every chapter has an executed copy in book/")
    return [execute_chapter(name, root=base, replace_profile=True) for name in missing]
