"""Training speed (images/s) of DLBHC backbone candidates on this machine, for choosing the CPU backbone.

Usage: ``python benchmarks/bench_dlbhc_backbones.py`` (run on an idle machine). Prints, per
candidate, parameters and training images/s (forward + backward + AdamW step, batch 128,
channels_last, 32 x 32 RGB inputs, 2-px crops and flips). Accuracy per CPU minute, the other
half of the choice, needs training runs on CIFAR-10 and is measured by the DLBHC chapter.
"""

import time

import torch

from hashlib_core.losses import classification_loss
from hashlib_core.nets.dlbhc import dlbhc_small
from hashlib_core.runtime import configure_threads
from hashlib_core.train import Augmentation, augment_batch, to_model_input

CANDIDATES = {"small w16 f256": dict(width=16, f7_dim=256), "small w24 f512": dict(width=24, f7_dim=512),
              "small w32 f512": dict(width=32, f7_dim=512), "small w48 f1024": dict(width=48, f7_dim=1024)}


def images_per_second(model: torch.nn.Module, batch: int = 128, steps: int = 20, warmup: int = 3) -> float:
    images = torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (batch,))
    model = model.to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    generator = torch.Generator().manual_seed(0)
    for step in range(warmup + steps):
        if step == warmup:
            started = time.perf_counter()
        inputs = to_model_input(augment_batch(images, Augmentation(2, True), generator), torch.device("cpu"))
        loss = classification_loss(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return batch * steps / (time.perf_counter() - started)


def main() -> None:
    print(f"threads: {configure_threads()}")
    for name, options in CANDIDATES.items():
        model = dlbhc_small(48, 10, **options)
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{name:18s} {parameters / 1e6:5.2f} M parameters  {images_per_second(model):7.0f} img/s")


if __name__ == "__main__":
    main()
