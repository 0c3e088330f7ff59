"""Readings of Zeng et al.'s garbled Table 1 compared at equal epochs on CIFAR-10, at 48 bits.

Usage: ``python benchmarks/zeng_widths.py DATA_ROOT [EPOCHS] [READINGS] [OUT.json] [SEED] [--recipe NAME]`` on an
idle machine: EPOCHS default 12, READINGS a comma-separated list of names in :data:`READINGS` (default all), SEED
default 0, ``--recipe`` a name in :data:`hashlib_core.studies.zeng_long.LONG_RECIPES` (default the profile's).
Table 1 is readable only for the first convolution (32 filters of 3x3) and the fusion part (512, 512, FC 1,000);
the chapter's 50-epoch runs read 32 filters per stream in all three blocks. Another common reading doubles the
filters at every pooling, as most CNNs of the time do. Each reading trains with the chapter's long-run recipe
(:func:`hashlib_core.studies.zeng_long.long_settings`: Adam at 1e-3, batches of 100, the paper's one halving at 4/5 of
the run, crops, flips, brightness and contrast, bf16 autocast) shortened to EPOCHS, and reports its parameters,
test mAP on the ``zeng`` protocol, training-set mAP, training minutes and images/s. Networks are checkpointed (a
rerun loads them); on 2 CPU cores 12 epochs take about 14 minutes for the chapter's reading and about 26 for the
doubling one (50 epochs of it: about 112).
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

from hashlib_core.data import load_dataset
from hashlib_core.experiment import run_method
from hashlib_core.methods.zeng import Zeng
from hashlib_core.runtime import environment_record
from hashlib_core.studies.zeng_long import LONG_RECIPES, long_rows, long_settings

# reading -> (filters per stream in each block, fusion convolutions, FC)
READINGS = {"32 per stream (the chapter's)": ((32, 32, 32), 512, 1000),
            "doubling at each pooling": ((32, 64, 128), 512, 1000)}
BITS = 48
KEPT = ("mAP (long)", "training-set mAP (long)", "training minutes (long)", "images/s")


def main(data_root: str, epochs: int = 12, readings: tuple[str, ...] = tuple(READINGS), out: str | None = None,
         seed: int = 0, recipe: str = "profile's") -> None:
    if recipe not in LONG_RECIPES:
        raise SystemExit(f"--recipe must be one of {sorted(LONG_RECIPES)}, got {recipe!r}")
    unknown = [name for name in readings if name not in READINGS]
    if unknown:
        raise SystemExit(f"READINGS must be names in {list(READINGS)}, got {unknown}")
    method = Zeng()
    paper = method.plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    base = replace(long_settings(paper, epochs, table1_widths=False, recipe=recipe), code_lengths=(BITS,),
                   baselines=())
    rows = []
    for name in readings:
        widths, fusion, fc = READINGS[name]
        settings = replace(base, widths=widths, fusion_width=fusion, fc_width=fc)
        run = run_method(method, dataset, settings, seed=seed, progress=True)
        parameters = sum(parameter.numel() for parameter in run.networks[BITS].model.parameters())
        row = long_rows({("bilinear", recipe): run}, {}, bits=BITS)[0]
        rows.append({"reading": name, "recipe": recipe, "widths": [*widths, fusion, fc], "parameters": parameters,
                     "epochs": epochs,
                     **{key.replace(" (long)", ""): row[key] for key in KEPT}})
        print(rows[-1], flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as handle:
            trained = base.recipe
            command = f'python benchmarks/zeng_widths.py DATA_ROOT {epochs} "{",".join(readings)}" OUT.json {seed}'
            command += f' --recipe "{recipe}"' if recipe != "profile's" else ""
            json.dump({"runs": rows, "dataset": "cifar10", "bits": BITS, "seed": seed, "recipe": recipe,
                       "overrides": LONG_RECIPES[recipe], "learning rate": trained.lr,
                       "schedule": trained.schedule, "halving after iterations": trained.step_iterations,
                       "batch size": trained.batch_size, "precision": trained.precision,
                       "command": command, "environment": environment_record("cpu")}, handle, indent=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root")
    parser.add_argument("epochs", nargs="?", type=int, default=12)
    parser.add_argument("readings", nargs="?", default=",".join(READINGS), help="comma-separated names of READINGS")
    parser.add_argument("out", nargs="?", default=None, help="results file (JSON)")
    parser.add_argument("seed", nargs="?", type=int, default=0)
    parser.add_argument("--recipe", default="profile's", help="a name in hashlib_core.studies.zeng_long.LONG_RECIPES")
    arguments = parser.parse_args()
    main(arguments.data_root, arguments.epochs, tuple(arguments.readings.split(",")), arguments.out, arguments.seed,
         arguments.recipe)
