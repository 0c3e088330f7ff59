"""The Zeng chapter's 50-epoch runs at 48 bits on CIFAR-10 under another recipe: stronger regularisation (is the
network overfitting?) or the paper's learning rate 1e-4 (does it catch up with the profile's 1e-3 over 50 epochs?).

Usage: ``python benchmarks/zeng_long_recipes.py DATA_ROOT RECIPE [EPOCHS] [NETWORKS] [OUT.json] [SEED]`` on an
idle machine: RECIPE a name in :data:`hashlib_core.studies.zeng.LONG_RECIPES` (``regularised``, ``"paper's
learning rate"``, or ``"profile's"`` with another SEED for the chapter's own runs' seed spread), EPOCHS default 50
(the paper's), NETWORKS a comma-separated list, default ``bilinear,dsh``, SEED default 0 (the chapter's). It trains
the chapter's long runs (:func:`hashlib_core.studies.zeng.long_runs`: the paper's network at Table 1's widths and
DSH's network, the paper profile's recipe with the paper's one halving after 4/5 of the iterations, bf16 autocast)
with RECIPE's fields instead of the profile's, and reports each network's test mAP on the ``zeng``
protocol, its training-set mAP (1,000 training images against the other 49,000), training minutes and images/s.
Networks are checkpointed under the chapter's keys (about 60 minutes for the paper's network and 8 for DSH's on
2 CPU cores; a rerun loads them). The Zeng chapter shows the results files
(``results/zeng/regularisation_cifar10.json``, ``results/zeng/learning_rate_long_cifar10.json``).
"""

import json
import sys
import time
from pathlib import Path

from hashlib_core.data import load_dataset
from hashlib_core.methods.zeng import Zeng
from hashlib_core.runtime import environment_record
from hashlib_core.studies.zeng import LONG_RECIPES, long_rows, long_runs

BITS = 48
KEPT = ("network", "recipe", "epochs (long)", "mAP (long)", "training-set mAP (long)", "training minutes (long)",
        "images/s")


def main(data_root: str, recipe: str, epochs: str = "50", networks: str = "bilinear,dsh",
         out: str | None = None, seed: str = "0") -> None:
    if recipe not in LONG_RECIPES:
        raise SystemExit(f"RECIPE must be one of {sorted(LONG_RECIPES)}, got {recipe!r}")
    chosen = tuple(networks.split(","))
    paper = Zeng().plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    started = time.perf_counter()
    long = long_runs(dataset, paper, int(epochs), bits=BITS, networks=chosen, recipes=(recipe,),
                     seed=int(seed))
    settings = next(iter(long.values())).settings  # the networks share the recipe; the widths are Table 1's
    rows = [{name.replace(" (long)", ""): row[name] for name in KEPT} for row in long_rows(long, {}, bits=BITS)]
    for row in rows:
        print(row, flush=True)
    print(f"{(time.perf_counter() - started) / 60:.1f} minutes in this call (a network loaded from its checkpoint "
          "keeps the training minutes of the epochs that trained it)", flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as handle:
            trained = settings.recipe
            command = f'python benchmarks/zeng_long_recipes.py DATA_ROOT "{recipe}" {epochs} {networks}'
            json.dump({"runs": rows, "dataset": "cifar10", "bits": BITS, "seed": int(seed), "recipe": recipe,
                       "overrides": LONG_RECIPES[recipe],
                       "widths": [*settings.widths, settings.fusion_width, settings.fc_width],
                       "learning rate": trained.lr, "halving after iterations": trained.step_iterations,
                       "batch size": trained.batch_size, "precision": trained.precision,
                       "command": command + (f" OUT.json {seed}" if int(seed) else ""),
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
