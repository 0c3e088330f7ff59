"""Train several code lengths' networks at once on the CPU: one worker process per core set.

Introduced in the CNN Based Hashing chapter (``benchmarks/bench_training.py``
measures it). The small networks of this book use two cores poorly: on the 2-core
machine two one-thread processes, each training its own network, get through
about 1.3x the images per second of one two-thread process. A method trains one
network per code length, so :func:`~hashlib_core.experiment.run_method` hands
the code lengths to :func:`train_side_by_side` when it runs on the CPU with
more than one core and more than one network to train. Each worker pins
itself to its own cores, trains through
:func:`~hashlib_core.experiment.train_network` (same seeding, same
checkpoints), and sends back the trained weights and history. The numbers
equal those of an in-process run with the same number of threads per
network; a different thread count can change the last bits of floating-point
sums, and so the trained weights slightly.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from .runtime import available_cores, pick_device

if TYPE_CHECKING:
    from .data import ImageDataset
    from .experiment import DeepHashingMethod, TrainedNetwork
    from .protocols import Protocol
    from .settings import RunSettings

__all__ = ["side_by_side_workers", "core_sets", "pin_to_cores", "stop_with_parent", "train_side_by_side"]


def side_by_side_workers(device: str | torch.device, networks: int, workers: int | None = None) -> int:
    """How many worker processes train ``networks`` networks: ``workers`` if given, else one per core on the
    CPU (at most one per network), and 1 (train in this process) on a GPU or a single core."""
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1 (1 trains in this process), got {workers}")
        return min(workers, max(networks, 1))
    if pick_device(device).type != "cpu":
        return 1
    return max(1, min(available_cores(), networks))


def core_sets(workers: int) -> list[set[int]]:
    """Split this process's cores into ``workers`` disjoint, equal-sized sets (one per worker)."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    if workers > len(cores):
        raise ValueError(f"{workers} workers need at least {workers} cores; this process may use {len(cores)}")
    share = len(cores) // workers
    return [set(cores[index * share:(index + 1) * share]) for index in range(workers)]


def pin_to_cores(cores: set[int]) -> None:
    """Run this process on ``cores`` only (where the OS allows it), with as many torch threads as cores."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
    torch.set_num_threads(len(cores))


def stop_with_parent() -> bool:
    """Ask Linux to send this process SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), so workers of an
    interrupted chapter run (a killed kernel) stop instead of training on unseen; False where unsupported."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signal.SIGTERM), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _pin_worker(cores_queue: Any) -> None:
    """Worker initializer: stop when the parent dies, and take one core set for this process's lifetime."""
    stop_with_parent()
    pin_to_cores(cores_queue.get())


def _train_in_worker(method: DeepHashingMethod, dataset: ImageDataset, protocol: Protocol, settings: RunSettings,
                     bits: int, pretrained: TrainedNetwork | None, targets: torch.Tensor | None, seed: int,
                     checkpoints: bool) -> tuple[int, dict, list, float, int]:
    from .experiment import train_network

    network = train_network(method, dataset, protocol, settings, bits, pretrained=pretrained, targets=targets,
                            seed=seed, device="cpu", checkpoints=checkpoints, progress=False)
    state = {name: tensor.contiguous() for name, tensor in network.model.state_dict().items()}
    return bits, state, network.history, network.seconds, network.resumed_epochs


def train_side_by_side(method: DeepHashingMethod, dataset: ImageDataset, protocol: Protocol, settings: RunSettings,
                       lengths: list[int], workers: int, *, pretrained: TrainedNetwork | None = None,
                       targets: torch.Tensor | None = None, seed: int = 0, checkpoints: bool = True,
                       progress: bool = True) -> dict[int, TrainedNetwork]:
    """Train the networks of ``lengths`` in ``workers`` processes (each on its own cores); ``{bits: network}``.

    Every network is built and trained exactly as
    :func:`~hashlib_core.experiment.train_network` does it in this process
    (seed ``seed + bits``, the method's stages, checkpoints when asked), so an
    interrupted run resumes either way. A worker's error is raised here.
    """
    from .experiment import TrainedNetwork, prepared_network

    context = torch.multiprocessing.get_context("spawn")
    cores_queue = context.SimpleQueue()
    for cores in core_sets(workers):
        cores_queue.put(cores)
    trained: dict[int, TrainedNetwork] = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_pin_worker,
                             initargs=(cores_queue,)) as pool:
        futures = [pool.submit(_train_in_worker, method, dataset, protocol, settings, bits, pretrained, targets,
                               seed, checkpoints) for bits in lengths]
        bar = tqdm(total=len(futures), desc=f"{dataset.name}: networks ({workers} processes)", unit="network",
                   disable=not progress)
        for future in as_completed(futures):
            bits, state, history, seconds, resumed = future.result()
            model = prepared_network(method, dataset, protocol, settings, bits, pretrained=pretrained, seed=seed)
            model.load_state_dict(state)
            trained[bits] = TrainedNetwork(model, history, seconds, resumed)
            bar.update(1)
            bar.set_postfix(last=f"{bits} bits", wall=f"{time.perf_counter() - started:.0f} s")
        bar.close()
    return {bits: trained[bits] for bits in lengths}
