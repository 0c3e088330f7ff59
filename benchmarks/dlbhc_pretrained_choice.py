"""DLBHC on the ImageNet EfficientNet-Lite0 at 48 bits on CIFAR-10: which input size and how many trainable blocks
buy the most mAP@1000 per CPU minute?

Usage: ``python benchmarks/dlbhc_pretrained_choice.py DATA_ROOT [OUT.json]`` on an idle machine. Every
variant runs the chapter's generic path (:func:`hashlib_core.experiment.run_method`) with the paper profile's
CIFAR-10 settings except the backbone and the recipes: the frozen lower part's activations are computed once per
(input size, cut) and cached, the trainable top is pre-trained as a classifier (F8 on the pooled 1,280-d
feature), then H is inserted and the network fine-tuned. Reported per variant: seconds of each stage, the
pre-trained top's test accuracy, the fine-tuned network's test accuracy and mAP@1000 over all 10,000 test queries
against the 50,000 training images (the release's protocol, whose DLBHC value is 0.897 at 48 bits).
"""

import json
import sys
import time
from dataclasses import replace

from hashlib_core.data import load_dataset
from hashlib_core.experiment import run_method
from hashlib_core.methods import DLBHC
from hashlib_core.methods.dlbhc import Backbone
from hashlib_core.portable import machine_paths, portable
from hashlib_core.runtime import environment_record
from hashlib_core.settings import Recipe

# (input pixels, trainable blocks, pre-training epochs, fine-tuning epochs)
VARIANTS = [(128, 5, 6, 3), (128, 2, 6, 3), (96, 5, 6, 3)]


def _write(out: str, rows: list[dict], data_root: str) -> None:
    record = {"what": "DLBHC with the ImageNet EfficientNet-Lite0, CIFAR-10, 48 bits", "runs": rows,
              "not_run": [list(variant) for variant in VARIANTS
                          if list(variant) not in [[row["input_size"], row["trainable_blocks"], row["pretrain_epochs"],
                                                    row["finetune_epochs"]] for row in rows]],
              "command": "python benchmarks/dlbhc_pretrained_choice.py DATA_ROOT results/dlbhc/pretrained_choice.json",
              "environment": environment_record("cpu")}
    with open(out, "w") as handle:
        json.dump(portable(record, machine_paths({data_root: "<data root>"})), handle, indent=1)


def main(data_root: str, out: str | None = None) -> None:
    """Run every variant, writing ``out`` after each (a stopped run keeps the variants that finished)."""
    method = DLBHC()
    base = method.plan("paper", ["cifar10"], [48])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    rows = []
    for size, trainable, pretrain_epochs, finetune_epochs in VARIANTS:
        settings = replace(
            base, backbone=Backbone("efficientnet-lite0", input_size=size, trainable_blocks=trainable),
            pretrain=Recipe(epochs=pretrain_epochs, lr=1e-3, batch_size=128, weight_decay=0.05, padding=0,
                            flip=False, lr_scales=()),
            recipe=Recipe(epochs=finetune_epochs, lr=2e-3, batch_size=128, weight_decay=0.05, padding=0, flip=False,
                          lr_scales=(("stem", 0.1),)),
            baselines=())
        started = time.perf_counter()
        run = run_method(method, dataset, settings, data_root, progress=False)
        rows.append({"input_size": size, "trainable_blocks": trainable, "pretrain_epochs": pretrain_epochs,
                     "finetune_epochs": finetune_epochs, "stage_seconds": run.stages,
                     "pretrained_test_accuracy": run.pretrained_accuracy, "test_accuracy": run.accuracy[48],
                     "map_at_1000": run.headline("DLBHC", 48), "wall_seconds": time.perf_counter() - started})
        print(json.dumps(rows[-1]), flush=True)
        if out:
            _write(out, rows, data_root)


if __name__ == "__main__":
    main(*sys.argv[1:])
