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

import numpy as np

__all__ = ["CACHE_ENV", "user_cache", "resolve_cache_dir", "atomic_savez"]

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


def atomic_savez(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """``np.savez`` into a temporary file beside ``path``, then rename: a crash never leaves half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".npz.partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
