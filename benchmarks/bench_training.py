"""Training throughput of ``hashlib_core.train.fit`` in each mode against a bare fp32 loop (printed, not a test).

Two networks the chapters train on CIFAR-10: the CNNBH network at 48 bits
(batch 100) and the DLBHC CPU backbone's pre-training network (w24, F7 512,
batch 128), built by their methods (:mod:`hashlib_core.methods`). Modes:
a bare hand-written fp32 loop (channels_last), ``fit`` in fp32, ``fit`` with
bfloat16 autocast (``precision="bf16"``), each with the chapters' crop/flip
augmentation. Run it on an idle machine: another process on the two cores
halves every figure.

    python benchmarks/bench_training.py [--data-root DIR] [--images 5000] [--epochs 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from hashlib_core.data import DatasetNotFoundError, ImageDataset, load_dataset
from hashlib_core.methods import CNNBH, DLBHC
from hashlib_core.objectives import Classification
from hashlib_core.runtime import configure_threads, environment_record, seed_everything
from hashlib_core.train import Augmentation, fit


def networks(dataset: ImageDataset) -> dict[str, tuple]:
    """name -> (builder, batch size): the CNNBH 48-bit network and DLBHC's pre-training network."""
    cnnbh, dlbhc = CNNBH(), DLBHC()
    cnnbh_settings, dlbhc_settings = cnnbh.profiles["paper"]["cifar10"], dlbhc.profiles["paper"]["cifar10"]
    return {"CNNBH CIFAR-10, 48 bits": (lambda: cnnbh.build_network(dataset, 48, cnnbh_settings), 100),
            "DLBHC backbone w24 (pre-training)": (lambda: dlbhc.pretraining_network(dataset, dlbhc_settings), 128)}


def bare_loop(build, images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int) -> float:
    """The plainest fast fp32 PyTorch loop over the same tensors (no augmentation); returns images/s."""
    seed_everything(0)
    model = build().to(memory_format=torch.channels_last)
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
             precision: str) -> float:
    """``fit`` with the chapters' crop/flip augmentation; returns images/s."""
    seed_everything(0)
    model: nn.Module = build()
    started = time.perf_counter()
    fit(model, images, labels, Classification(), epochs=epochs, batch_size=batch_size,
        augmentation=Augmentation(2, True), progress=False, device="cpu", precision=precision)
    return epochs * (len(images) // batch_size) * batch_size / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
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
        best = {"bare fp32 loop (no augmentation)": 0.0, "fit fp32": 0.0, "fit bf16 autocast": 0.0}
        for _ in range(args.rounds):
            best["bare fp32 loop (no augmentation)"] = max(best["bare fp32 loop (no augmentation)"],
                                                          bare_loop(build, images, labels, args.epochs, batch_size))
            best["fit fp32"] = max(best["fit fp32"], with_fit(build, images, labels, args.epochs, batch_size, "fp32"))
            best["fit bf16 autocast"] = max(best["fit bf16 autocast"],
                                            with_fit(build, images, labels, args.epochs, batch_size, "bf16"))
        print(f"\n{name}, batch {batch_size}")
        for mode, rate in best.items():
            print(f"  {mode:<34} {rate:8.1f} images/s   x{rate / best['fit fp32']:.2f} of fit fp32")


if __name__ == "__main__":
    main()
