"""The one training loop every chapter uses, plus encoding a split into features and codes.

Introduced in the CNN Based Hashing chapter.

Data stays in memory as uint8 tensors (on the GPU when there is one); each
mini-batch is gathered, augmented as a batch (random crop with zero padding,
horizontal flip), converted to float in [0, 1] and fed in ``channels_last``
layout, which is the fastest for convolutions on the CPU. A method that starts
from a frozen pre-trained network trains on that network's cached activations
instead (float16 or float32 ``(n, C, H, W)``, :mod:`hashlib_core.frozen`): they
are fed as they are, and crop/flip augmentation is refused for them. Runs are
deterministic for a given seed on the CPU; checkpoints are written atomically
and read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .cache import atomic_write
from .distributed import all_sum, average_gradients, broadcast_parameters, process_group
from .codes import PackedCodes, binarize, pack
from .losses import classification_loss
from .objectives import Batch, Classification, Objective
from .runtime import configure_threads, pick_device, seed_everything

__all__ = ["Augmentation", "augment_batch", "to_model_input", "channel_statistics", "fit", "fit_speed",
           "as_objective", "parameter_groups",
           "evaluate_accuracy", "encode", "Encoded", "save_checkpoint", "load_checkpoint", "CheckpointError"]

LossFunction = Callable[[Any, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Augmentation:
    """Batched augmentation: random crop after ``padding`` zero pixels per side, random horizontal flips, and
    per-image brightness and contrast factors drawn uniformly from ``1 +- brightness`` / ``1 +- contrast``."""

    padding: int = 4
    flip: bool = True
    brightness: float = 0.0
    contrast: float = 0.0


def augment_batch(batch: torch.Tensor, augmentation: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Augment a ``(B, C, H, W) uint8`` batch in one go: one random crop offset and flip per image.

    The crop is a gather with per-image row/column indices into the padded
    batch, so no Python loop runs over images.
    """
    size, _, height, width = batch.shape
    result = batch
    if augmentation.padding:
        pad = augmentation.padding
        padded = nn.functional.pad(batch, (pad, pad, pad, pad))
        offsets = torch.randint(0, 2 * pad + 1, (2, size), generator=generator).to(batch.device)
        rows = (offsets[0][:, None] + torch.arange(height, device=batch.device))[:, None, :, None]
        cols = (offsets[1][:, None] + torch.arange(width, device=batch.device))[:, None, None, :]
        images = torch.arange(size, device=batch.device)[:, None, None, None]
        channels = torch.arange(batch.shape[1], device=batch.device)[None, :, None, None]
        result = padded[images, channels, rows, cols]
    if augmentation.flip:
        flips = (torch.rand(size, generator=generator) < 0.5).to(batch.device)
        result = torch.where(flips[:, None, None, None], result.flip(-1), result)
    if augmentation.brightness or augmentation.contrast:
        result = _jitter(result, augmentation, generator)
    return result


def _jitter(batch: torch.Tensor, augmentation: Augmentation, generator: torch.Generator) -> torch.Tensor:
    # brightness scales every pixel; contrast scales each image's deviations from its mean grey level
    size = batch.shape[0]
    values = batch.float()
    if augmentation.brightness:
        factors = 1 + (2 * torch.rand(size, generator=generator) - 1) * augmentation.brightness
        values = values * factors.to(batch.device)[:, None, None, None]
    if augmentation.contrast:
        factors = 1 + (2 * torch.rand(size, generator=generator) - 1) * augmentation.contrast
        means = values.mean(dim=(1, 2, 3), keepdim=True)
        values = (values - means) * factors.to(batch.device)[:, None, None, None] + means
    return values.clamp_(0, 255).round_().to(torch.uint8)


INPUT_DTYPES = (torch.uint8, torch.float16, torch.float32)


def check_inputs(images: Any, what: str = "images") -> None:
    """``images`` must be ``(n, C, H, W)`` uint8 pixels or float16/float32 cached activations."""
    if not isinstance(images, torch.Tensor) or images.dtype not in INPUT_DTYPES or images.ndim != 4:
        raise ValueError(f"{what} must be a (n, C, H, W) uint8 tensor (ImageDataset.images[indices]) or float16/"
                         f"float32 cached activations (hashlib_core.frozen), got {type(images).__name__} "
                         f"{getattr(images, 'dtype', '')} {tuple(getattr(images, 'shape', ()))}")


def to_model_input(batch: torch.Tensor, device: torch.device, channels_last: bool = True) -> torch.Tensor:
    """uint8 (B, C, H, W) -> float32 in [0, 1] on ``device`` (channels_last memory layout by default); cached
    float activations -> float32 as they are."""
    inputs = batch.to(device, non_blocking=True).float()
    if batch.dtype == torch.uint8:
        inputs = inputs.div_(255.0)
    return inputs.contiguous(memory_format=torch.channels_last) if channels_last else inputs


def channel_statistics(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation of ``(n, C, H, W)`` inputs as the model sees them (uint8 images on
    the [0, 1] scale, cached activations as they are); a constant channel gets a standard deviation of 1e-6, not 0."""
    values = images.float()
    if images.dtype == torch.uint8:
        values = values.div(255.0)
    values = values.transpose(0, 1).reshape(images.shape[1], -1)
    return values.mean(dim=1), values.std(dim=1).clamp_min(1e-6)


class _LossOnOutputs(Objective):
    """A plain ``loss_fn(model(inputs), labels)`` as an objective (kept for short scripts and exercises)."""

    def __init__(self, loss_fn: LossFunction) -> None:
        self.loss_fn = loss_fn

    def __call__(self, model, inputs, batch):
        return self.loss_fn(model(inputs), batch.labels), None


def as_objective(objective: Objective | LossFunction) -> Objective:
    """An :class:`~hashlib_core.objectives.Objective` as it is; ``classification_loss`` as
    :class:`~hashlib_core.objectives.Classification`; any other ``loss_fn(outputs, labels)`` wrapped."""
    if isinstance(objective, Objective):
        return objective
    if objective is classification_loss:
        return Classification()
    if callable(objective):
        return _LossOnOutputs(objective)
    raise ValueError(f"objective must be an Objective or a loss_fn(outputs, labels), got {objective!r}")


def _check_training_data(images: torch.Tensor, labels: torch.Tensor | None, targets: torch.Tensor | None,
                         objective: Objective) -> None:
    check_inputs(images)
    if not objective.uses_labels and labels is not None:
        raise ValueError(f"{objective!r} learns without labels; pass labels=None so that no label reaches it")
    if objective.uses_labels and (not isinstance(labels, torch.Tensor) or labels.shape != (images.shape[0],)):
        raise ValueError(f"{objective!r} needs labels: a ({images.shape[0]},) tensor, one per image, "
                         f"got {type(labels).__name__} {tuple(getattr(labels, 'shape', ()))}")
    if objective.uses_targets and (not isinstance(targets, torch.Tensor) or len(targets) != images.shape[0]):
        raise ValueError(f"{objective!r} needs targets: a tensor with one row per image ({images.shape[0]}), "
                         f"got {type(targets).__name__} {tuple(getattr(targets, 'shape', ()))}")


def _optimizer(name: str, parameters, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=0.9, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adamw', 'adam' or 'sgd', got {name!r}")


def parameter_groups(model: nn.Module, lr: float, lr_scales: dict[str, float] | None = None) -> list[dict]:
    """The model's parameters as optimiser groups: ``lr * scale`` for the submodules named in ``lr_scales``
    (top-level names, e.g. ``{"stem": 0.1}``: a pre-trained stem learns ten times slower), ``lr`` for the rest."""
    lr_scales = dict(lr_scales or {})
    children = dict(model.named_children())
    unknown = set(lr_scales) - set(children)
    if unknown:
        raise ValueError(f"lr_scales names {sorted(unknown)}, but the model's submodules are {sorted(children)}")
    if any(not scale > 0 for scale in lr_scales.values()):
        raise ValueError(f"lr_scales must be positive, got {lr_scales}")
    scaled = {id(parameter) for name in lr_scales for parameter in children[name].parameters()}
    groups = [{"params": list(children[name].parameters()), "lr": lr * scale} for name, scale in lr_scales.items()]
    rest = [parameter for parameter in model.parameters() if id(parameter) not in scaled]
    return [group for group in groups + [{"params": rest, "lr": lr}] if group["params"]]


def _schedule(name: str | Callable, optimizer: torch.optim.Optimizer, lr: float, total_steps: int):
    if callable(name):
        return name(optimizer, total_steps)
    if name == "onecycle":
        peaks = [group["lr"] for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peaks, total_steps=total_steps)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if name == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    raise ValueError(f"schedule must be 'onecycle', 'cosine', 'constant' or a callable "
                     f"(optimizer, total_steps) -> scheduler, got {name!r}")


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) atomically: a crash never leaves half a file."""
    return atomic_write(path, lambda stream: torch.save(state, stream))


class CheckpointError(RuntimeError):
    """A checkpoint file is damaged (truncated, empty, not a checkpoint)."""


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code runs on load).

    A damaged file raises :class:`CheckpointError` naming it and what to do.
    """
    try:
        state = torch.load(Path(path), map_location=device, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # EOFError, RuntimeError (zip), OSError, UnpicklingError, depending on the damage
        reason = "not a checkpoint written by this book" if "Weights only load failed" in str(error) \
            else (str(error).splitlines() or ["empty file"])[0][:120] or "empty file"
        raise CheckpointError(f"{path}: damaged checkpoint ({type(error).__name__}: {reason}); "
                              "delete it and re-run to train those epochs again") from error
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise CheckpointError(f"{path}: not a training checkpoint of hashlib_core.train.fit; delete it and re-run")
    return state


@torch.inference_mode()
def evaluate_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 1000,
                      device: str | torch.device = "auto", channels_last: bool = True) -> float:
    """Classification accuracy of ``model`` (class scores as output) on uint8 images."""
    chosen = pick_device(device)
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        outputs = model(to_model_input(images[start:start + batch_size], chosen, channels_last))
        correct += int((outputs.argmax(dim=1).cpu() == labels[start:start + batch_size]).sum())
    model.train(was_training)
    return correct / max(len(images), 1)


def fit(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None, objective: Objective | LossFunction, *,
        epochs: int, targets: torch.Tensor | None = None,
        batch_size: int = 100, lr: float = 3e-3, weight_decay: float = 5e-4, optimizer: str = "adamw",
        schedule: str | Callable = "onecycle", ema_decay: float | None = None,
        augmentation: Augmentation | None = None, device: str | torch.device = "auto",
        seed: int = 0, validation: tuple[torch.Tensor, torch.Tensor] | None = None,
        checkpoint: str | os.PathLike | None = None, resume: bool = False, progress: bool = True,
        log_every: int = 1, lr_scales: dict[str, float] | None = None,
        channels_last: bool = True, threads: int | None = None, precision: str = "fp32") -> list[dict]:
    """Train ``model`` on in-memory uint8 images with any objective and return the per-epoch history.

    ``objective`` (:mod:`hashlib_core.objectives`) gets the model, the
    mini-batch inputs and a :class:`~hashlib_core.objectives.Batch` (indices,
    labels, per-image ``targets``) and returns the loss; a plain
    ``loss_fn(outputs, labels)`` is accepted too. ``labels`` must be None for
    a label-free objective, which then never sees one. ``schedule`` steps once per batch: a
    name, or ``schedule(optimizer, total_steps)`` returning a scheduler.
    ``lr_scales`` scales the learning rate of named top-level submodules
    (e.g. ``{"stem": 0.1}`` when fine-tuning a pre-trained stem under a new
    head); ``lr`` is the peak of the rest. ``ema_decay`` keeps an exponential moving average of the weights (updated
    every batch) and leaves it in the model at the end.
    With ``checkpoint`` the state is saved after every epoch; ``resume=True``
    continues from it. With ``progress`` one bar counts the epochs (loss and
    images/s beside it) and a summary line is printed every ``log_every``
    epochs (and after the last). ``precision="bf16"`` runs forward and loss
    under bfloat16 autocast (weights, gradients and optimiser state stay
    float32). Under a ``torch.distributed`` process group (``torchrun``) each
    process trains on its slice of every mini-batch and the gradients are
    averaged (:mod:`hashlib_core.distributed`); ``batch_size`` is the global batch.
    Each history entry holds ``epoch``, ``loss``,
    ``accuracy`` (training, when the objective classifies, else None),
    ``val_accuracy``, ``seconds``, ``images_per_second`` and ``lr``.
    """
    from tqdm import tqdm

    objective = as_objective(objective)
    _check_training_data(images, labels, targets, objective)
    if augmentation is not None and images.dtype != torch.uint8:
        raise ValueError("crop/flip augmentation works on uint8 images, and these are cached activations "
                         f"({images.dtype}); train them with padding=0 and flip=False")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got epochs={epochs}, batch_size={batch_size}")
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} training images cannot fill one batch of {batch_size}; lower batch_size")
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16' (autocast with fp32 master weights), got {precision!r}")
    rank, world = process_group()
    if batch_size % world:
        raise ValueError(f"batch_size {batch_size} must split evenly over {world} processes")
    progress = progress and rank == 0
    configure_threads(threads)
    chosen = pick_device(device)
    seed_everything(seed)
    generator = torch.Generator().manual_seed(seed)
    model.to(chosen)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if ema_decay is not None and not 0.0 < ema_decay < 1.0:
        raise ValueError(f"ema_decay must lie in (0, 1), e.g. 0.999, got {ema_decay}")
    steps_per_epoch = len(images) // batch_size  # the last partial batch is dropped, as in most CNN trainers
    opt = _optimizer(optimizer, parameter_groups(model, lr, lr_scales), lr, weight_decay)
    scheduler = _schedule(schedule, opt, lr, epochs * steps_per_epoch)
    history: list[dict] = []
    first_epoch = 0
    parameters = list(model.parameters())
    averaged = [p.detach().clone() for p in parameters] if ema_decay is not None else None
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, chosen)
        planned = (state.get("epochs"), state.get("steps_per_epoch"))
        if planned[0] is not None and planned != (epochs, steps_per_epoch):
            raise ValueError(f"{checkpoint} holds a run of {planned[0]} epochs x {planned[1]} steps; this call asks "
                             f"for {epochs} x {steps_per_epoch}, and its learning-rate schedule cannot continue the "
                             "other one. Pass another checkpoint path (the chapters key theirs by recipe) or "
                             "delete the file to start afresh")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        history, first_epoch = list(state["history"]), int(state["epoch"])
        if averaged is not None:
            averaged = [tensor.to(chosen) for tensor in state["averaged"]]
    if world > 1:
        broadcast_parameters(model)
    data = images.to(chosen) if chosen.type == "cuda" else images
    label_data = labels.to(chosen) if objective.uses_labels else None
    target_data = targets.to(chosen) if objective.uses_targets else None
    model.train()
    bar = tqdm(total=epochs, initial=first_epoch, desc="training", unit="epoch", disable=not progress)
    for epoch in range(first_epoch, epochs):
        started = time.perf_counter()
        order = torch.randperm(len(images), generator=generator)
        loss_sum = torch.zeros((), device=chosen)
        correct_sum = torch.zeros((), device=chosen, dtype=torch.long)
        for step in range(steps_per_epoch):
            batch_index = order[step * batch_size:(step + 1) * batch_size][rank::world]  # this process's slice
            batch = data[batch_index.to(data.device)]
            if augmentation is not None:
                batch = augment_batch(batch, augmentation, generator)
            on_device = batch_index.to(chosen)
            batch_labels = label_data[on_device] if label_data is not None else None
            with torch.autocast(chosen.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss, scores = objective(model, to_model_input(batch, chosen, channels_last),
                                         Batch(on_device, batch_labels,
                                               target_data[on_device] if target_data is not None else None))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}; "
                                         "lower the learning rate")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:
                average_gradients(parameters, world)
            opt.step()
            scheduler.step()
            if averaged is not None:
                torch._foreach_lerp_(averaged, [p.detach() for p in parameters], 1.0 - ema_decay)
            loss_sum += loss.detach() * len(batch_index)
            if objective.classifies:
                correct_sum += (scores.argmax(dim=1) == batch_labels).sum()
        if world > 1:
            loss_sum, correct_sum = all_sum(loss_sum), all_sum(correct_sum)
        seconds = time.perf_counter() - started
        seen = steps_per_epoch * batch_size
        record = {"epoch": epoch + 1, "loss": loss_sum.item() / seen,
                  "accuracy": correct_sum.item() / seen if objective.classifies else None,
                  "val_accuracy": None, "seconds": seconds, "images_per_second": seen / seconds,
                  "lr": scheduler.get_last_lr()[0]}
        if validation is not None:
            record["val_accuracy"] = evaluate_accuracy(model, *validation, device=chosen, channels_last=channels_last)
            model.train()
        history.append(record)
        bar.set_postfix(loss=f"{record['loss']:.4f}", img_s=f"{record['images_per_second']:.0f}")
        bar.update(1)
        if progress and ((epoch + 1) % max(log_every, 1) == 0 or epoch + 1 == epochs):
            extras = "" if record["val_accuracy"] is None else f", val acc {record['val_accuracy']:.4f}"
            accuracy = "" if record["accuracy"] is None else f", acc {record['accuracy']:.4f}"
            print(f"epoch {epoch + 1}/{epochs}: loss {record['loss']:.4f}{accuracy}{extras}, "
                  f"{seconds:.1f} s, {record['images_per_second']:.0f} img/s")
        if checkpoint is not None and rank == 0:
            save_checkpoint(checkpoint, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                         "scheduler": scheduler.state_dict(), "generator": generator.get_state(),
                                         "torch_rng": torch.get_rng_state(), "history": history,
                                         "epoch": epoch + 1, "seed": seed, "epochs": epochs,
                                         "steps_per_epoch": steps_per_epoch,
                                         "averaged": averaged if averaged is not None else []})
    bar.close()
    if averaged is not None:
        with torch.no_grad():
            for parameter, average in zip(parameters, averaged):
                parameter.copy_(average)
    return history


@dataclass
class Encoded:
    """A split pushed through a network: real-valued layer outputs and their binary codes.

    features: (n, d) float32; codes: :class:`PackedCodes` of ``features > threshold``.
    """

    features: np.ndarray
    codes: PackedCodes

    @property
    def bits(self) -> np.ndarray:
        """The codes as a (n, d) {0,1} uint8 matrix."""
        from .codes import unpack

        return unpack(self.codes)


def fit_speed(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None, objective: Objective | LossFunction,
              *, warmup_batches: int = 3, batch_size: int = 100, **options) -> float:
    """Training images/s of :func:`fit` (one epoch, no progress bar, ``options`` passed on) over the whole batches
    of ``images`` after the first ``warmup_batches``, which train untimed first (for benchmarks)."""
    warmup = warmup_batches * batch_size
    timed = (len(images) - warmup) // batch_size * batch_size
    if warmup_batches < 1 or timed < batch_size:
        raise ValueError(f"fit_speed needs warmup_batches >= 1 and at least one batch after them: got "
                         f"{len(images)} images for {warmup_batches} warm-up batches of {batch_size}")
    run = {"epochs": 1, "batch_size": batch_size, "progress": False, **options}
    fit(model, images[:warmup], None if labels is None else labels[:warmup], objective, **run)
    started = time.perf_counter()
    fit(model, images[warmup:warmup + timed], None if labels is None else labels[warmup:warmup + timed], objective,
        **run)
    return timed / (time.perf_counter() - started)


@torch.inference_mode()
def encode(model: nn.Module, images: torch.Tensor, *, layer: Callable[[nn.Module, torch.Tensor], torch.Tensor]
           | None = None, threshold: float = 0.0, batch_size: int = 1000, device: str | torch.device = "auto",
           channels_last: bool = True) -> Encoded:
    """Encode uint8 images in batches without gradients (model in eval mode, restored afterwards).

    ``layer(model, inputs)`` selects the real-valued outputs to hash (default:
    ``model(inputs)``); ``threshold`` is 0 for sign-style layers and 0.5 for
    sigmoid latent layers.
    """
    check_inputs(images)
    chosen = pick_device(device)
    was_training = model.training
    model.eval()
    model.to(chosen)
    blocks = []
    for start in range(0, len(images), batch_size):
        inputs = to_model_input(images[start:start + batch_size], chosen, channels_last)
        outputs = model(inputs) if layer is None else layer(model, inputs)
        blocks.append(outputs.float().reshape(len(inputs), -1).cpu().numpy())
    model.train(was_training)
    features = np.concatenate(blocks) if blocks else np.empty((0, 0), np.float32)
    if math.prod(features.shape) and not np.all(np.isfinite(features)):
        raise ValueError("the network produced NaN/inf outputs; check the checkpoint or training run")
    return Encoded(features=features, codes=pack(binarize(features, threshold)))
