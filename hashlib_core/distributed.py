"""Data-parallel training over processes (``torchrun``), for :func:`hashlib_core.train.fit`.

Introduced in the comparison chapter ("training past one machine"). When a
``torch.distributed`` process group is initialised (``torchrun
--nproc_per_node=N script.py`` on one machine, ``--nnodes``/``--rdzv-endpoint``
across machines; the ``gloo`` backend on CPUs, ``nccl`` on GPUs), ``fit`` gives
each process an equal slice of every mini-batch (same global batch and order as
one process), averages the gradients over the processes after every backward
pass (what DDP does, here with one flattened all-reduce, so any objective may
call any part of the model), sums the epoch's loss over the processes, and only
rank 0 prints and writes checkpoints. Batch-norm statistics are per slice, and
pairwise losses see the pairs within a slice: both make the numbers differ
slightly from one process.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["process_group", "broadcast_parameters", "average_gradients", "all_sum"]


def process_group() -> tuple[int, int]:
    """``(rank, world size)`` of the initialised process group, ``(0, 1)`` without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def broadcast_parameters(model: nn.Module) -> None:
    """Give every process rank 0's parameters and buffers (so all start from the same network)."""
    import torch.distributed as dist

    for tensor in [*model.parameters(), *model.buffers()]:
        dist.broadcast(tensor.data, src=0)


def average_gradients(parameters: list[nn.Parameter], world: int) -> None:
    """Replace every gradient by its mean over the ``world`` processes (one all-reduce of a flat buffer)."""
    import torch.distributed as dist

    grads = [parameter.grad for parameter in parameters if parameter.grad is not None]
    if not grads:
        return
    flat = torch.cat([grad.reshape(-1) for grad in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for grad in grads:
        grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
        offset += grad.numel()


def all_sum(value: torch.Tensor) -> torch.Tensor:
    """``value`` summed over the processes (returned; the input is changed in place)."""
    import torch.distributed as dist

    dist.all_reduce(value)
    return value
