"""The paper's learning rate (1e-4) against the profile's (1e-3) for Zeng's network on CIFAR-10, at 48 bits.

Usage: ``python benchmarks/zeng_learning_rate.py DATA_ROOT [EPOCHS] [SEEDS] [OUT.json]`` on an idle machine
(EPOCHS default 12, SEEDS a comma-separated list, default ``0``). Each run is the chapter's long-run recipe
(:func:`hashlib_core.studies.zeng_long.long_settings`: Adam, batches of 100, the paper's one halving kept at 4/5 of the
run, crops, flips, brightness and contrast, bf16 autocast) on the paper profile's narrow network (16 filters per
stream, fusion 256, FC 512), shortened to EPOCHS, with only the learning rate changed; it reports the mAP of the
``zeng`` protocol (1,000 test queries against the other 9,000 test images) and the training minutes. The Zeng
chapter shows the results file (``results/zeng/learning_rate_cifar10.json``).
"""

import json
import sys
from dataclasses import replace
from pathlib import Path

from hashlib_core.data import load_dataset
from hashlib_core.experiment import run_method
from hashlib_core.methods.zeng import Zeng
from hashlib_core.runtime import environment_record
from hashlib_core.studies.zeng_long import long_settings

LEARNING_RATES = (1e-3, 1e-4)  # the paper profile's and the paper's (Sec. 4.2)
BITS = 48


def main(data_root: str, epochs: str = "12", seeds: str = "0", out: str | None = None) -> None:
    method = Zeng()
    paper = method.plan("paper", ["cifar10"])["cifar10"]
    narrow = replace(long_settings(paper, int(epochs), table1_widths=False), code_lengths=(BITS,), baselines=())
    dataset = load_dataset("cifar10", data_root, progress=False)
    runs = []
    for seed in (int(value) for value in seeds.split(",")):
        for lr in LEARNING_RATES:
            settings = replace(narrow, recipe=replace(narrow.recipe, lr=lr))
            run = run_method(method, dataset, settings, seed=seed, checkpoints=False, progress=False)
            trained = run.networks[BITS]
            runs.append({"learning rate": lr, "seed": seed, "epochs": int(epochs),
                         "halving after iterations": settings.recipe.step_iterations,
                         "mAP": run.headline(method.name, BITS),
                         "final training loss": trained.history[-1]["loss"], "training minutes": trained.seconds / 60})
            print(runs[-1], flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as handle:
            json.dump({"runs": runs, "dataset": "cifar10", "bits": BITS,
                       "widths": [*narrow.widths, narrow.fusion_width, narrow.fc_width],
                       "precision": narrow.recipe.precision,
                       "command": f"python benchmarks/zeng_learning_rate.py DATA_ROOT {epochs} {seeds}",
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
