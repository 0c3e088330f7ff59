"""Training throughput of ``hashlib_core.train.fit`` against a bare hand-written loop (printed, not a test).

The CNNBH CIFAR-10 network at 48 bits, batch 100, on the same in-memory uint8
tensors, in the same process. Target: fit >= 0.95 x the bare loop's images/s.
Uses CIFAR-10 training images from the data root when present, random
uint8 images otherwise (throughput does not depend on pixel values).

    python benchmarks/bench_training.py [--data-root DIR] [--images 5000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from hashlib_core.data import DatasetNotFoundError, load_dataset
from hashlib_core.losses import classification_loss
from hashlib_core.nets import build_from_notation
from hashlib_core.nets.cnnbh import cifar_notation
from hashlib_core.runtime import configure_threads, environment_record
from hashlib_core.train import Augmentation, fit

CIFAR_48 = cifar_notation(48)


def bare_loop(images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int) -> float:
    """The plainest fast PyTorch loop over the same tensors; returns images/s."""
    torch.manual_seed(0)
    model = build_from_notation(CIFAR_48).to(memory_format=torch.channels_last)
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


def ours(images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int,
         augmentation: Augmentation | None) -> float:
    torch.manual_seed(0)
    model = build_from_notation(CIFAR_48)
    started = time.perf_counter()
    fit(model, images, labels, classification_loss, epochs=epochs, batch_size=batch_size,
        augmentation=augmentation, progress=False, device="cpu")
    return epochs * (len(images) // batch_size) * batch_size / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
    args = parser.parse_args()
    threads = configure_threads()
    try:
        dataset = load_dataset("cifar10", args.data_root, download=False, progress=False)
        images, labels, source = dataset.images[:args.images], dataset.labels[:args.images], dataset.source
    except DatasetNotFoundError:
        images = torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8)
        labels = torch.randint(0, 10, (args.images,))
        source = "random uint8 images (no CIFAR-10 under the data root)"
    bare_loop(images[:1000], labels[:1000], 1, args.batch_size)  # warm-up: oneDNN kernels, allocator
    best = {"bare loop": 0.0, "fit": 0.0, "fit + crop/flip augmentation": 0.0}
    for _ in range(args.rounds):
        best["bare loop"] = max(best["bare loop"], bare_loop(images, labels, args.epochs, args.batch_size))
        best["fit"] = max(best["fit"], ours(images, labels, args.epochs, args.batch_size, None))
        best["fit + crop/flip augmentation"] = max(best["fit + crop/flip augmentation"],
                                                   ours(images, labels, args.epochs, args.batch_size, Augmentation()))
    environment = environment_record("cpu")
    print(f"CNNBH CIFAR-10 net ({CIFAR_48}), batch {args.batch_size}, {len(images)} images x {args.epochs} epochs, "
          f"best of {args.rounds}; {threads} torch threads, torch {environment['packages']['torch']}; data: {source}")
    for name, rate in best.items():
        print(f"{name:<30} {rate:8.1f} images/s   ratio to bare loop {rate / best['bare loop']:.3f}")
    print("target: fit / bare loop >= 0.95")


if __name__ == "__main__":
    main()
