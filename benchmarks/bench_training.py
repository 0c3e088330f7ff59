"""Training throughput of ``hashlib_core.train.fit`` in each mode against a bare fp32 loop (printed, not a test).

Two networks the chapters train on CIFAR-10: the CNNBH network at 48 bits
(batch 100) and the DLBHC CPU backbone's pre-training network (w24, F7 512,
batch 128), built by their methods (:mod:`hashlib_core.methods`). Modes:
a bare hand-written fp32 loop on the networks as they were before (``as_before``:
``nn.Dropout``, ReLU in front of max pooling); ``fit`` in fp32 on those (the
reference of the ratios); ``fit`` in fp32 on the networks as built now
(:class:`~hashlib_core.nets.dropout.FastDropout`, ReLU after max pooling);
the same with bfloat16 autocast (``precision="bf16"``); and ``fit`` in one
process per core, each training its own copy of the network as
:mod:`hashlib_core.side_by_side` does for a chapter's code lengths (images/s of
all processes together). ``fit`` runs with the chapters' crop/flip
augmentation. Run it on an idle machine: another process on the two cores
halves every figure.

With ``--parity-epochs N`` it also trains the CNNBH 48-bit network on the
``cnnh`` protocol's 5,000 CIFAR-10 training images for N epochs (the paper
profile's recipe otherwise) as before and as now, same seed, and prints both
test accuracies on the 10,000 official test images: the accuracy-parity check.

    python benchmarks/bench_training.py [--data-root DIR] [--images 5000] [--epochs 2] [--rounds 2]
                                        [--parity-epochs 60]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import torch
from torch import nn
from torch.nn import functional as F

from hashlib_core.data import DatasetNotFoundError, ImageDataset, load_dataset
from hashlib_core.methods import CNNBH, DLBHC
from hashlib_core.nets.dropout import FastDropout
from hashlib_core.objectives import Classification
from hashlib_core.runtime import available_cores, configure_threads, environment_record, seed_everything
from hashlib_core.side_by_side import core_sets, pin_to_cores
from hashlib_core.train import Augmentation, fit

REFERENCE = "fit fp32, as before"


def networks(dataset: ImageDataset) -> dict[str, tuple]:
    """name -> (builder, batch size): the CNNBH 48-bit network and DLBHC's pre-training network."""
    cnnbh, dlbhc = CNNBH(), DLBHC()
    cnnbh_settings, dlbhc_settings = cnnbh.profiles["paper"]["cifar10"], dlbhc.profiles["paper"]["cifar10"]
    return {"CNNBH CIFAR-10, 48 bits": (lambda: cnnbh.build_network(dataset, 48, cnnbh_settings), 100),
            "DLBHC backbone w24 (pre-training)": (lambda: dlbhc.pretraining_network(dataset, dlbhc_settings), 128)}


def as_before(model: nn.Module) -> nn.Module:
    """The same network as the book built it before this benchmark's changes: ``nn.Dropout`` for every
    ``FastDropout``, and every ReLU back in front of the max pooling it now follows."""
    if isinstance(model, nn.ModuleDict):  # NotationNet: conv (no ReLU) -> Sequential(pool, ReLU)
        names = list(model)
        for previous, name in zip(names, names[1:]):
            layer = model[name]
            if isinstance(layer, nn.Sequential) and len(layer) == 2 and isinstance(layer[0], nn.MaxPool2d):
                model[previous] = nn.Sequential(*model[previous], nn.ReLU(inplace=True))
                model[name] = layer[0]
    if isinstance(model, nn.Sequential):  # DLBHC blocks: ..., MaxPool2d, ReLU -> ..., ReLU, MaxPool2d
        children = list(model)
        for index in range(len(children) - 1):
            if isinstance(children[index], nn.MaxPool2d) and isinstance(children[index + 1], nn.ReLU):
                children[index], children[index + 1] = children[index + 1], children[index]
        for index, child in enumerate(children):
            model[index] = child
    for name, child in model.named_children():
        if isinstance(child, FastDropout):
            setattr(model, name, nn.Dropout(child.p))
        else:
            as_before(child)
    return model


def bare_loop(build, images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int) -> float:
    """The plainest fast fp32 PyTorch loop over the same tensors (no augmentation); returns images/s."""
    seed_everything(0)
    model = as_before(build()).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    steps = len(images) // batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps)
    model.train()
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(images))
        for step in range(steps):
            index = order[step * batch_size:(step + 1) * batch_size]
            inputs = images[index].float().div_(255).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(inputs), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return epochs * steps * batch_size / (time.perf_counter() - started)


def with_fit(build, images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int,
             precision: str, before: bool = False, threads: int | None = None) -> float:
    """``fit`` with the chapters' crop/flip augmentation; returns images/s."""
    seed_everything(0)
    model: nn.Module = as_before(build()) if before else build()
    started = time.perf_counter()
    fit(model, images, labels, Classification(), epochs=epochs, batch_size=batch_size,
        augmentation=Augmentation(2, True), progress=False, device="cpu", precision=precision, threads=threads)
    return epochs * (len(images) // batch_size) * batch_size / (time.perf_counter() - started)


def _pinned_fit(cores: set[int], name: str, dataset: ImageDataset, count: int, epochs: int) -> float:
    pin_to_cores(cores)
    build, batch_size = networks(dataset)[name]
    return with_fit(build, dataset.images[:count], dataset.labels[:count], epochs, batch_size, "fp32",
                    threads=len(cores))


def side_by_side(name: str, dataset: ImageDataset, count: int, epochs: int) -> float:
    """One ``fit`` per core set at once, as a chapter trains its code lengths; images/s of all together."""
    sets = core_sets(available_cores())
    context = torch.multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(sets), mp_context=context) as pool:
        list(pool.map(_pinned_fit, sets, [name] * len(sets), [dataset] * len(sets), [min(count, 1000)] * len(sets),
                      [1] * len(sets)))  # warm-up in every worker
        started = time.perf_counter()
        list(pool.map(_pinned_fit, sets, [name] * len(sets), [dataset] * len(sets), [count] * len(sets),
                      [epochs] * len(sets)))
        seconds = time.perf_counter() - started
    batch_size = networks(dataset)[name][1]
    return len(sets) * epochs * (count // batch_size) * batch_size / seconds


def parity(dataset: ImageDataset, epochs: int) -> None:
    """CNNBH 48 bits on the cnnh training images, as before and as now: test accuracy of each (same seed)."""
    from dataclasses import replace

    from hashlib_core.experiment import prepared_network, train_stage
    from hashlib_core.protocols import protocol_for
    from hashlib_core.train import evaluate_accuracy

    method = CNNBH()
    settings = method.profiles["paper"]["cifar10"]
    settings = replace(settings, recipe=replace(settings.recipe, epochs=epochs))
    protocol = protocol_for(dataset, settings.protocol)
    stage = method.training_stages(settings, 48)[0]
    test = dataset.is_test
    print(f"\nAccuracy parity: CNNBH CIFAR-10 48 bits, {epochs} epochs of the paper recipe, seed 0")
    for label, before in (("as before", True), ("now", False)):
        network = prepared_network(method, dataset, protocol, settings, 48, seed=0)
        network = as_before(network) if before else network
        trained = train_stage(network, dataset, protocol, stage, device="cpu", seed=0, progress=False)
        accuracy = evaluate_accuracy(trained.model, dataset.images[test], dataset.labels[test], device="cpu")
        print(f"  {label:<10} test accuracy {accuracy:.4f}, last training accuracy "
              f"{trained.history[-1]['accuracy']:.4f}, {trained.seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
    parser.add_argument("--parity-epochs", type=int, default=0, help="also run the accuracy-parity check")
    args = parser.parse_args()
    threads = configure_threads()
    try:
        dataset = load_dataset("cifar10", args.data_root, download=False, progress=False)
        source = dataset.source
    except DatasetNotFoundError:
        n = args.images
        dataset = ImageDataset("random", torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8),
                               torch.arange(n) % 10, torch.zeros(n, dtype=torch.bool), [str(c) for c in range(10)],
                               "random uint8 images (no CIFAR-10 under the data root)", "0" * 64)
        source = dataset.source
    images, labels = dataset.images[:args.images], dataset.labels[:args.images]
    environment = environment_record("cpu")
    print(f"{len(images)} images x {args.epochs} epochs, best of {args.rounds}; {threads} torch threads, "
          f"torch {environment['packages']['torch']}; data: {source}")
    for name, (build, batch_size) in networks(dataset).items():
        bare_loop(build, images[:1000], labels[:1000], 1, batch_size)  # warm-up: oneDNN kernels, allocator
        with_fit(build, images[:1000], labels[:1000], 1, batch_size, "bf16")
        modes = {"bare fp32 loop, as before (no augmentation)":
                 lambda: bare_loop(build, images, labels, args.epochs, batch_size),
                 REFERENCE: lambda: with_fit(build, images, labels, args.epochs, batch_size, "fp32", True),
                 "fit fp32": lambda: with_fit(build, images, labels, args.epochs, batch_size, "fp32"),
                 "fit bf16 autocast": lambda: with_fit(build, images, labels, args.epochs, batch_size, "bf16"),
                 f"fit fp32, {available_cores()} processes side by side":
                 lambda: side_by_side(name, dataset, args.images, args.epochs)}
        best = dict.fromkeys(modes, 0.0)
        for _ in range(args.rounds):
            for mode, measure in modes.items():
                best[mode] = max(best[mode], measure())
        print(f"\n{name}, batch {batch_size}")
        for mode, rate in best.items():
            print(f"  {mode:<48} {rate:8.1f} images/s   x{rate / best[REFERENCE]:.2f} of {REFERENCE}")
    if args.parity_epochs:
        parity(dataset, args.parity_epochs)


if __name__ == "__main__":
    main()
