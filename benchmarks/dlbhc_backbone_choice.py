"""Accuracy per CPU minute of the DLBHC CPU backbone candidates: equal CPU time on CIFAR-10, test accuracy.

Usage: ``python benchmarks/dlbhc_backbone_choice.py DATA_ROOT [OUT.json]`` on an idle machine (about 26 min on
2 cores). Each candidate (``Backbone("small", width, f7_dim)``) is pre-trained exactly as the DLBHC chapter's
first stage (:meth:`hashlib_core.methods.DLBHC.pretraining_stage`, the paper profile's recipe) on all 50,000
training images for as many epochs as fit into about 8.5 minutes at the speed measured by
``bench_dlbhc_backbones.py`` (w16: 15, w24: 8, w32: 5), then tested on the 10,000 test images. The DLBHC
chapter shows the results file (``results/dlbhc/backbone_choice.json``).
"""

import json
import sys
from dataclasses import replace

from hashlib_core.data import load_dataset
from hashlib_core.experiment import pretrain
from hashlib_core.methods import DLBHC
from hashlib_core.methods.dlbhc import Backbone
from hashlib_core.protocols import protocol_for
from hashlib_core.runtime import environment_record
from hashlib_core.train import evaluate_accuracy

CANDIDATES = [("w16 f256", Backbone("small", width=16, f7_dim=256), 15),
              ("w24 f512", Backbone("small", width=24, f7_dim=512), 8),
              ("w32 f512", Backbone("small", width=32, f7_dim=512), 5)]


def main(data_root: str, out: str | None = None) -> None:
    method = DLBHC()
    paper = method.plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    protocol = protocol_for(dataset, "dlbhc", seed=0)
    test = dataset.test_indices
    runs = []
    for name, backbone, epochs in CANDIDATES:
        settings = replace(paper, backbone=backbone, pretrain=replace(paper.pretrain, epochs=epochs))
        trained = pretrain(method, dataset, protocol, settings, checkpoints=False, progress=False)
        accuracy = evaluate_accuracy(trained.model, dataset.images[test], dataset.labels[test])
        runs.append({"backbone": name, "parameters": sum(p.numel() for p in trained.model.parameters()),
                     "epochs": epochs, "seconds": trained.seconds,
                     "images_per_second": epochs * len(protocol.train) / trained.seconds, "test_accuracy": accuracy})
        print(runs[-1], flush=True)
    if out:
        with open(out, "w") as handle:
            json.dump({"runs": runs, "command": "python benchmarks/dlbhc_backbone_choice.py DATA_ROOT",
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
