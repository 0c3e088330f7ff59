"""The Zeng chapter's 50-epoch runs at 48 bits under another recipe: stronger regularisation (is the network
overfitting?) or the paper's learning rate 1e-4 (does it catch up with the profile's 1e-3 over 50 epochs?).

Usage: ``python benchmarks/zeng_long_recipes.py DATA_ROOT RECIPE [EPOCHS] [NETWORKS] [OUT.json] [SEED]
[--dataset mnist]`` on an idle machine: RECIPE a name in :data:`hashlib_core.studies.zeng_long.LONG_RECIPES`
(``regularised``, ``"paper's learning rate"``, or ``"profile's"`` with another SEED for the chapter's own runs'
seed spread), EPOCHS default 50 (the paper's), NETWORKS a comma-separated list, default ``bilinear,dsh``, SEED
default 0 (the chapter's), ``--dataset`` ``cifar10`` (the default) or ``mnist``. It trains the chapter's long runs
(:func:`hashlib_core.studies.zeng_long.long_runs`: the paper's network at Table 1's widths and DSH's network, the paper
profile's recipe with the paper's one halving at the same fraction of the run as the paper's, 4/5 on CIFAR-10 and
2/3 on MNIST, bf16 autocast) with RECIPE's fields instead of the profile's, and reports each network's test mAP
on the ``zeng`` protocol, its training-set mAP (1,000 training images against the other training images),
training minutes and images/s. Networks are checkpointed under the chapter's keys (on CIFAR-10 about 60 minutes
for the paper's network and 8 for DSH's on 2 CPU cores; a rerun loads them). The Zeng chapter shows the results
files (``results/zeng/regularisation_cifar10.json``, ``results/zeng/learning_rate_long_cifar10.json``,
``results/zeng/long_seed1_cifar10.json``).
"""

import argparse
import json
import time
from pathlib import Path

from hashlib_core.data import load_dataset
from hashlib_core.methods.zeng import Zeng
from hashlib_core.runtime import environment_record
from hashlib_core.studies.zeng_long import LONG_RECIPES, long_rows, long_runs

BITS = 48
KEPT = ("network", "recipe", "epochs (long)", "mAP (long)", "training-set mAP (long)", "training minutes (long)",
        "images/s")


def main(data_root: str, recipe: str, epochs: str = "50", networks: str = "bilinear,dsh",
         out: str | None = None, seed: str = "0", dataset_name: str = "cifar10") -> None:
    if recipe not in LONG_RECIPES:
        raise SystemExit(f"RECIPE must be one of {sorted(LONG_RECIPES)}, got {recipe!r}")
    chosen = tuple(networks.split(","))
    paper = Zeng().plan("paper", [dataset_name])[dataset_name]
    dataset = load_dataset(dataset_name, data_root, progress=False)
    started = time.perf_counter()
    long = long_runs(dataset, paper, int(epochs), bits=BITS, networks=chosen, recipes=(recipe,),
                     seed=int(seed))
    first = next(iter(long.values()))  # the networks share the recipe and training images; the widths are Table 1's
    settings = first.settings
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
            command += (f" OUT.json {seed}" if int(seed) else "") + (f" --dataset {dataset_name}"
                                                                     if dataset_name != "cifar10" else "")
            json.dump({"runs": rows, "dataset": dataset_name, "bits": BITS, "seed": int(seed), "recipe": recipe,
                       "overrides": LONG_RECIPES[recipe],
                       "widths": [*settings.widths, settings.fusion_width, settings.fc_width],
                       "training images": len(first.protocol.train), "learning rate": trained.lr,
                       "halving after iterations": trained.step_iterations,
                       "batch size": trained.batch_size, "precision": trained.precision,
                       "command": command,
                       "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root")
    parser.add_argument("recipe", help="a name in hashlib_core.studies.zeng_long.LONG_RECIPES")
    parser.add_argument("epochs", nargs="?", default="50")
    parser.add_argument("networks", nargs="?", default="bilinear,dsh", help="comma-separated, e.g. bilinear,dsh")
    parser.add_argument("out", nargs="?", default=None, help="results file (JSON)")
    parser.add_argument("seed", nargs="?", default="0")
    parser.add_argument("--dataset", default="cifar10", choices=("cifar10", "mnist"))
    arguments = parser.parse_args()
    main(arguments.data_root, arguments.recipe, arguments.epochs, arguments.networks, arguments.out, arguments.seed,
         arguments.dataset)
