"""Accuracy per CPU minute of Li & Li's small Inception network at three widths: equal CPU time, test accuracy.

Usage: ``python benchmarks/lili_backbone_choice.py DATA_ROOT [DATASET] [MINUTES] [OUT.json]`` on an idle machine
(DATASET ``cifar10`` or ``mnist``, default ``cifar10``; MINUTES per candidate, default 8). Each candidate
(``Backbone("inception-small", width)``: 24, 48 or 96 stem filters, 96 being Zhang et al.'s network) is first timed
on 20 batches, then pre-trained exactly as the chapter's first stage (the paper profile's recipe) for as many epochs
as fit into MINUTES at that speed, and tested on the whole test split. The Li & Li chapter shows the results file
(``results/lili/backbone_choice_<dataset>.json``).
"""

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from hashlib_core.data import load_dataset
from hashlib_core.experiment import pretrain
from hashlib_core.methods import LiLi
from hashlib_core.methods.dlbhc import Backbone
from hashlib_core.protocols import protocol_for
from hashlib_core.runtime import environment_record
from hashlib_core.train import evaluate_accuracy, fit

WIDTHS = (24, 48, 96)


def images_per_second(method, dataset, settings, protocol) -> float:
    """Training speed of the pre-training network on 20 batches (after 3 warm-up batches)."""
    network = method.pretraining_network(dataset, settings)
    method.prepare(network, dataset, protocol)
    recipe = settings.pretrain
    sample = dataset.images[protocol.train][:23 * recipe.batch_size]
    labels = dataset.labels[protocol.train][:23 * recipe.batch_size]
    fit(network, sample[:3 * recipe.batch_size], labels[:3 * recipe.batch_size], torch.nn.functional.cross_entropy,
        epochs=1, batch_size=recipe.batch_size, progress=False)
    started = time.perf_counter()
    fit(network, sample[3 * recipe.batch_size:], labels[3 * recipe.batch_size:], torch.nn.functional.cross_entropy,
        epochs=1, batch_size=recipe.batch_size, progress=False)
    return 20 * recipe.batch_size / (time.perf_counter() - started)


def main(data_root: str, dataset_name: str = "cifar10", minutes: str = "8", out: str | None = None) -> None:
    method = LiLi()
    paper = method.plan("paper", [dataset_name])[dataset_name]
    dataset = load_dataset(dataset_name, data_root, progress=False)
    protocol = protocol_for(dataset, "dlbhc", seed=0)
    test = dataset.test_indices
    runs = []
    for width in WIDTHS:
        settings = replace(paper, backbone=Backbone("inception-small", width=width, f7_dim=paper.backbone.f7_dim))
        speed = images_per_second(method, dataset, settings, protocol)
        epochs = max(1, round(float(minutes) * 60 * speed / len(protocol.train)))  # nearest: budgets within half an epoch
        settings = replace(settings, pretrain=replace(settings.pretrain, epochs=epochs))
        trained = pretrain(method, dataset, protocol, settings, checkpoints=False, progress=False)
        accuracy = evaluate_accuracy(trained.model, dataset.images[test], dataset.labels[test])
        runs.append({"width": width, "parameters": sum(p.numel() for p in trained.model.parameters()),
                     "probe_images_per_second": speed, "epochs": epochs, "seconds": trained.seconds,
                     "test_accuracy": accuracy})
        print(runs[-1], flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as handle:
            json.dump({"runs": runs, "dataset": dataset_name, "minutes_per_candidate": float(minutes),
                       "command": f"python benchmarks/lili_backbone_choice.py DATA_ROOT {dataset_name} {minutes}",
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
