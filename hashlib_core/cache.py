"""The cache folder: decoded datasets, hand-made features and training checkpoints, written atomically.

Introduced in the introduction chapter. One root, ``$HASHING_BOOK_CACHE`` or
``~/.cache/hashing-book`` (``$XDG_CACHE_HOME`` respected), with one folder per
kind: ``decoded/`` (image folders as arrays), ``features/`` (GIST, ...),
``checkpoints/<chapter>/`` (per-epoch training state). Nothing there is ever
needed to reproduce a result; deleting it only costs time.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

__all__ = ["CACHE_ENV", "user_cache", "resolve_cache_dir", "atomic_write", "atomic_savez", "atomic_write_text"]

CACHE_ENV = "HASHING_BOOK_CACHE"


def user_cache() -> Path:
    """``$XDG_CACHE_HOME/hashing-book`` (default ``~/.cache/hashing-book``): the data root's and cache's parent."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hashing-book"


def resolve_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache root: ``cache_dir``, else ``$HASHING_BOOK_CACHE``, else :func:`user_cache`."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return user_cache()


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None], suffix: str = ".partial") -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, flush it to disk, then rename it over ``path``:
    a crash or Ctrl-C leaves the previous file (or none), never half a file. Returns ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def atomic_savez(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """``np.savez`` to exactly ``path`` (no ``.npz`` appended), atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda stream: np.savez(stream, **arrays))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))
