"""Recipe sweep for the CNNBH chapter: train the paper's network under many recipes side by side on one GPU.

Usage::

    python benchmarks/cnnbh_recipe_sweep.py run benchmarks/cnnbh_sweep_configs/round1.json --data-root DIR \\
        --out round1.json [--workers 8]
    python benchmarks/cnnbh_recipe_sweep.py collect round1.json round2.json round3.json

A config file is a list of :class:`SweepRun` records: ``round``, ``dataset``,
``bits``, ``recipe`` (the fields of :class:`hashlib_core.settings.Recipe`),
optional ``label_smoothing`` and ``seed``. Each run trains the CNNBH network
(:class:`hashlib_core.methods.CNNBH`) through the generic training stage.

Recipes are ranked by validation mAP: the cnnh protocol's 1,000 validation
images (outside the training set, never queries) against the database
without them. The query mAP is reported beside it, not used for choosing.
``collect`` writes ``results/cnnbh/recipe_sweep_gpu.json``, which the chapter reads.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from hashlib_core.settings import Recipe

FLAT_FIELDS = ("optimizer", "lr", "weight_decay", "padding", "flip", "schedule", "batch_size", "epochs", "ema_decay")


@dataclass(frozen=True)
class SweepRun:
    """One recipe of the sweep (validated like every Recipe)."""

    round: int
    dataset: str
    bits: int
    recipe: Recipe
    label_smoothing: float = 0.0
    seed: int = 0

    @classmethod
    def from_record(cls, record: dict) -> "SweepRun":
        return cls(**{**record, "recipe": Recipe(**record["recipe"])})


@dataclass
class Measured:
    """What one run measured."""

    run: SweepRun
    val_map: float
    test_map: float
    val_accuracy: float
    train_accuracy: float
    seconds: float
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        """The results file's flat row (the recipe's fields beside the numbers)."""
        recipe = asdict(self.run.recipe)
        schedule = recipe["schedule"]
        if schedule == "multistep":
            schedule = f"paper (x{recipe['gamma']:g} at " + " and ".join(
                f"{round(fraction * 9)}/9" for fraction in recipe["milestones"]) + ")"
        return {"round": self.run.round, "bits": self.run.bits, **{key: recipe[key] for key in FLAT_FIELDS},
                "schedule": schedule, "label_smoothing": self.run.label_smoothing, "seed": self.run.seed,
                "val_map": self.val_map, "test_map": self.test_map, "val_accuracy": self.val_accuracy,
                "train_accuracy": self.train_accuracy, "seconds": self.seconds}


def train_one(job: tuple[dict, str]) -> dict:
    """Train one recipe (in a worker process) and return its row plus its dataset."""
    from hashlib_core.data import load_dataset
    from hashlib_core.experiment import TrainingStage, encode_layers, train_stage
    from hashlib_core.methods import CNNBH
    from hashlib_core.metrics import hamming_map
    from hashlib_core.objectives import Classification
    from hashlib_core.protocols import protocol_for
    from hashlib_core.runtime import seed_everything

    record, data_root = job
    run = SweepRun.from_record(record)
    torch.set_num_threads(1)
    method = CNNBH()
    dataset = load_dataset(run.dataset, data_root, download=False, progress=False)
    protocol = protocol_for(dataset, "cnnh", seed=0)
    settings = method.profiles["paper"][run.dataset]
    seed_everything(run.seed + run.bits)
    model = method.build_network(dataset, run.bits, settings)
    method.prepare(model, dataset, protocol)
    trained = train_stage(model, dataset, protocol,
                          TrainingStage("sweep", run.recipe, Classification(run.label_smoothing)),
                          device="auto", seed=run.seed, progress=False)
    outputs = encode_layers(method, model, dataset.images)
    codes, labels = method.codes(outputs), dataset.labels.numpy()
    validation_database = np.setdiff1d(protocol.database, protocol.validation)
    validation = protocol.validation

    def mean_ap(queries, database):
        return hamming_map(codes[queries], codes[database], labels[queries], labels[database])

    measured = Measured(run, mean_ap(validation, validation_database), mean_ap(protocol.query, protocol.database),
                        float((outputs["scores"][validation].argmax(1) == labels[validation]).mean()),
                        trained.history[-1]["accuracy"], trained.seconds)
    print(json.dumps(measured.row()), flush=True)
    return {"dataset": run.dataset, **measured.row()}


def run_configs(path: str, data_root: str, out: str, workers: int) -> None:
    """Train every run of a config file, ``workers`` at a time, and save the rows to ``out``."""
    from concurrent.futures import ProcessPoolExecutor

    from hashlib_core.data import load_dataset

    records = json.loads(Path(path).read_text())
    for record in records:
        SweepRun.from_record(record)  # a mistyped config fails here, before any training
    for name in sorted({record["dataset"] for record in records}):  # decode once; the workers hit the cache
        load_dataset(name, data_root, download=False, progress=False)
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(train_one, [(record, data_root) for record in records]))
    environment = {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                   "torch": torch.__version__, "device": "cuda" if torch.cuda.is_available() else "cpu"}
    Path(out).write_text(json.dumps({"environment": environment, "rows": rows}, indent=1) + "\n")
    for row in sorted(rows, key=lambda row: -row["val_map"]):
        print(f"{row['dataset']:8s} {row['bits']:3d} {row['optimizer']:5s} lr {row['lr']:<6g} "
              f"wd {row['weight_decay']:<6g} pad {row['padding']} {row['schedule']} ep {row['epochs']:4d}: "
              f"val mAP {row['val_map']:.3f} test mAP {row['test_map']:.3f} {row['seconds']:.0f} s")


def collect(paths: list[str]) -> None:
    """Merge the rounds' outputs into ``results/cnnbh/recipe_sweep_gpu.json`` (CIFAR-10 ``runs``, ``mnist_runs``)."""
    from hashlib_core.runtime import repository_root

    parts = [json.loads(Path(path).read_text()) for path in paths]
    rows = [row for part in parts for row in part["rows"]]
    environment = {**parts[0]["environment"], "note": "run on a lent GPU machine, not on the book's 2-core CPU"}
    record = {"what": "CNNBH CIFAR-10 recipe sweep (cnnh protocol, seed 0 unless noted): val_map = mAP of the 1,000 "
                      "validation images against the database without them; test_map = mAP of the 1,000 queries "
                      "against the database. Runs of a round trained side by side on one GPU (seconds are wall time "
                      "under that sharing).",
              "command": "python benchmarks/cnnbh_recipe_sweep.py run|collect ... (three rounds)",
              "environment": environment,
              "runs": [{key: value for key, value in row.items() if key != "dataset"} for row in rows
                       if row["dataset"] == "cifar10"],
              "mnist_runs": [{key: value for key, value in row.items() if key != "dataset"} for row in rows
                             if row["dataset"] == "mnist"]}
    path = repository_root() / "results" / "cnnbh" / "recipe_sweep_gpu.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", path.relative_to(repository_root()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train the runs of one config file")
    run.add_argument("configs")
    run.add_argument("--data-root", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--workers", type=int, default=8)
    merge = commands.add_parser("collect", help="merge round outputs into the chapter's results file")
    merge.add_argument("outputs", nargs="+")
    arguments = parser.parse_args()
    if arguments.command == "run":
        run_configs(arguments.configs, arguments.data_root, arguments.out, arguments.workers)
    else:
        collect(arguments.outputs)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.set_start_method("spawn")
    main()
