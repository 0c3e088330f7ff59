"""Is the Zeng chapter's 50-epoch run overfitting? The same runs with stronger regularisation, at 48 bits on CIFAR-10.

Usage: ``python benchmarks/zeng_regularisation.py DATA_ROOT [EPOCHS] [OUT.json]`` on an idle machine (EPOCHS
default 50, the paper's). It trains the chapter's long runs (:func:`hashlib_core.studies.zeng.long_runs`: the
paper's network at Table 1's widths and DSH's network, the paper profile's learning rate 1e-3 with the paper's one
halving after 4/5 of the iterations, bf16 autocast, seed 0) with :data:`hashlib_core.studies.zeng.REGULARISATION`
instead of the profile's augmentation, and reports each network's test mAP on the ``zeng`` protocol, its
training-set mAP (1,000 training images against the other 49,000), training minutes and images/s. Networks are
checkpointed under the chapter's keys (about 56 + 8 minutes of training on 2 CPU cores; a rerun loads them). The
Zeng chapter shows the results file (``results/zeng/regularisation_cifar10.json``) beside its own long runs.
"""

import json
import sys
import time
from pathlib import Path

from hashlib_core.data import load_dataset
from hashlib_core.methods.zeng import Zeng
from hashlib_core.runtime import environment_record
from hashlib_core.studies.zeng import REGULARISATION, long_rows, long_runs

BITS = 48
KEPT = ("network", "recipe", "epochs (long)", "mAP (long)", "training-set mAP (long)", "training minutes (long)",
        "images/s")


def main(data_root: str, epochs: str = "50", out: str | None = None) -> None:
    paper = Zeng().plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    started = time.perf_counter()
    long = long_runs(dataset, paper, int(epochs), bits=BITS, recipes=(True,), seed=0)
    settings = long[("bilinear", True)].settings  # the paper network's (widths; both share the recipe)
    rows = [{name.replace(" (long)", ""): row[name] for name in KEPT} for row in long_rows(long, {}, bits=BITS)]
    for row in rows:
        print(row, flush=True)
    print(f"{(time.perf_counter() - started) / 60:.1f} minutes in this call (a network loaded from its checkpoint "
          "keeps the training minutes of the epochs that trained it)", flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as handle:
            recipe = settings.recipe
            json.dump({"runs": rows, "dataset": "cifar10", "bits": BITS, "seed": 0, "regularisation": REGULARISATION,
                       "widths": [*settings.widths, settings.fusion_width, settings.fc_width],
                       "learning rate": recipe.lr, "halving after iterations": recipe.step_iterations,
                       "batch size": recipe.batch_size, "precision": recipe.precision,
                       "command": f"python benchmarks/zeng_regularisation.py DATA_ROOT {epochs}",
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
