"""The machine a run happens on: cores, device, seeds, package versions.

Introduced in the introduction chapter; the training loop and results files use it.
"""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

__all__ = ["timed", "repository_root", "available_cores", "configure_threads", "pick_device", "seed_everything", "environment_record"]

RECORDED_PACKAGES = ("torch", "torchvision", "numpy", "numba", "faiss-cpu", "scikit-learn", "hashlib_core")


def timed(work, *args, **kwargs) -> tuple[object, float]:
    """``(work(*args, **kwargs), wall seconds)``."""
    import time

    started = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - started


def repository_root() -> Path:
    """The checkout's root (the folder holding ``_config.yml``)."""
    return Path(__file__).resolve().parent.parent


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity masks and containers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default: every available core) and return the number."""
    count = threads or available_cores()
    torch.set_num_threads(count)
    return count


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else the CPU; anything else is passed to ``torch.device``.

    Asking for ``"cuda"`` on a machine without a GPU raises ``ValueError``.
    """
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA GPU is available; use device='auto' or 'cpu'")
    return chosen


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) for a repeatable run."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def environment_record(device: torch.device | str | None = None) -> dict:
    """Package versions, Python, machine and device, for results files."""
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    resolved = pick_device(device or "auto")
    return {"python": platform.python_version(), "machine": platform.machine(), "cores": available_cores(),
            "torch_threads": torch.get_num_threads(), "device": str(resolved),
            "gpu": torch.cuda.get_device_name(resolved) if resolved.type == "cuda" else None,
            "packages": versions}
