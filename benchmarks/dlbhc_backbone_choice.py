"""Accuracy per CPU minute of the DLBHC CPU backbone candidates: equal CPU time on CIFAR-10, test accuracy.

Usage: ``python benchmarks/dlbhc_backbone_choice.py DATA_ROOT [OUT.json]`` on an idle machine (about 26 min on
2 cores). Each candidate (``dlbhc_small`` width / F7 size) is pre-trained as in the DLBHC chapter's first stage
(stem + F8 on F7, AdamW one-cycle lr 3e-3, weight decay 0.05, batch 128, 2-px crops + flips) on all 50,000
training images for as many epochs as fit into about 8.5 minutes at the speed measured by
``bench_dlbhc_backbones.py`` (w16: 15, w24: 8, w32: 5), then tested on the 10,000 test images. The DLBHC chapter
shows the results file (``results/dlbhc/backbone_choice.json``).
"""

import json
import sys
import time

import torch
from torch import nn

from hashlib_core.data import load_dataset
from hashlib_core.losses import classification_loss
from hashlib_core.nets.dlbhc import dlbhc_small
from hashlib_core.runtime import environment_record
from hashlib_core.train import Augmentation, channel_statistics, evaluate_accuracy, fit

CANDIDATES = [("w16 f256", dict(width=16, f7_dim=256), 15), ("w24 f512", dict(width=24, f7_dim=512), 8),
              ("w32 f512", dict(width=32, f7_dim=512), 5)]


def main(data_root: str, out: str | None = None) -> None:
    dataset = load_dataset("cifar10", data_root, progress=False)
    train, test = dataset.train_indices, dataset.test_indices
    runs = []
    for name, options, epochs in CANDIDATES:
        torch.manual_seed(0)
        network = dlbhc_small(48, 10, **options)
        model = nn.Sequential(network.stem, nn.Linear(network.f7_dim, 10))
        network.standardize.set_statistics(*channel_statistics(dataset.images[train]))
        started = time.perf_counter()
        fit(model, dataset.images[train], dataset.labels[train], classification_loss, epochs=epochs, batch_size=128,
            lr=3e-3, weight_decay=0.05, augmentation=Augmentation(2, True), progress=False)
        seconds = time.perf_counter() - started
        accuracy = evaluate_accuracy(model, dataset.images[test], dataset.labels[test])
        runs.append({"backbone": name, "parameters": sum(p.numel() for p in model.parameters()), "epochs": epochs,
                     "seconds": seconds, "images_per_second": epochs * len(train) / seconds,
                     "test_accuracy": accuracy})
        print(runs[-1], flush=True)
    if out:
        with open(out, "w") as handle:
            json.dump({"runs": runs, "command": " ".join(sys.argv), "environment": environment_record("cpu")},
                      handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
