"""CNN Based Hashing (Guo & Li 2015) as an experiment: recipes, one network per code length, its evaluation.

Introduced in the CNN Based Hashing chapter. The method: train the
classification network of :mod:`hashlib_core.nets.cnnbh`, take the knob layer
``H<bits>`` and hash each image by the signs of its outputs (threshold 0).

* :data:`PROFILES`: what a chapter run trains and evaluates (``smoke``: the
  embedded MNIST subset, seconds; ``paper``: MNIST and CIFAR-10 at 12/24/32/48
  bits within 90 minutes on 2 CPU cores; ``long``: CIFAR-10 with 600 epochs,
  for a GPU);
* :func:`train_knob_network`: one network, with per-epoch checkpoints that a
  re-run resumes from;
* :func:`run_dataset`: every code length of one dataset, plus the LSH and KSH
  baselines on the same protocol, all as :class:`hashlib_core.evaluation.RetrievalReport`;
* :func:`rectify`: the ``L2_fc+`` features of Sec. 4.3.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .baselines.evaluation import baseline_codes
from .data import ImageDataset, load_dataset
from .evaluation import RetrievalReport, hamming_report
from .features import dataset_features
from .experiment import ProtocolRun, Recipe, TrainedNetwork, narrow_profile, train_on_protocol
from .experiment import checkpoint_path as experiment_checkpoint
from .nets.cnnbh import cnnbh_cifar, cnnbh_mnist, knob_inputs, knob_outputs
from .nets.notation import NotationNet
from .protocols import Protocol, protocol_for
from .train import Encoded, channel_statistics, encode

__all__ = ["Recipe", "PROFILES", "REPORT_KS", "profile_plan", "build_network", "checkpoint_path",
           "train_knob_network", "TrainedNetwork", "DatasetRun", "run_dataset", "report_rows", "rectify"]

# k values of the precision@k curves (Figs. 3c/4c go to 1,000; Table 3 needs 500 and 1,500)
REPORT_KS = (1, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500)


_MNIST_RECIPE = Recipe(epochs=40, weight_decay=0.05, padding=0, flip=False)
_PAPER_LENGTHS = [12, 24, 32, 48]
PROFILES: dict[str, dict[str, dict]] = {
    "smoke": {"mnist5k": {"code_lengths": [12, 48], "recipe": Recipe(epochs=5, weight_decay=0.05, padding=0,
                                                                       flip=False),
                          "protocol": {"queries_per_class": 20, "train_per_class": 200, "validation_per_class": 0},
                          "feature": "pixels", "ksh": {"n_labeled": 500, "n_anchors": 100}}},
    "paper": {"mnist": {"code_lengths": _PAPER_LENGTHS, "recipe": _MNIST_RECIPE, "protocol": {},
                        "feature": "pixels", "ksh": {}},
              "cifar10": {"code_lengths": _PAPER_LENGTHS, "recipe": Recipe(epochs=150), "protocol": {},
                          "feature": "gist512", "ksh": {}}},
    "long": {"mnist": {"code_lengths": _PAPER_LENGTHS, "recipe": _MNIST_RECIPE, "protocol": {},
                       "feature": "pixels", "ksh": {}},
             "cifar10": {"code_lengths": _PAPER_LENGTHS, "recipe": Recipe(epochs=600), "protocol": {},
                         "feature": "gist512", "ksh": {}}},
}


def profile_plan(profile: str, datasets: list[str] | None = None, code_lengths: list[int] | None = None,
                 epochs: int | None = None) -> dict[str, dict]:
    """The runs of a profile, optionally narrowed to some datasets / code lengths or with other epochs."""
    return narrow_profile(PROFILES, profile, datasets, code_lengths, epochs)


def build_network(dataset: ImageDataset, bits: int) -> NotationNet:
    """The paper's network for the dataset's image shape: CIFAR-10 (3x32x32) or MNIST (1x28x28)."""
    shape = tuple(dataset.images.shape[1:])
    if shape == (3, 32, 32):
        return cnnbh_cifar(bits)
    if shape == (1, 28, 28):
        return cnnbh_mnist(bits)
    raise ValueError(f"CNNBH has networks for 3x32x32 (CIFAR-10) and 1x28x28 (MNIST) images, got {shape}")


def checkpoint_path(dataset: ImageDataset, protocol: Protocol, bits: int, recipe: Recipe, seed: int,
                    cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the run's checkpoint lives: keyed by data, protocol, code length, recipe and seed."""
    return experiment_checkpoint("cnnbh", f"{bits}b", dataset, protocol, recipe, seed, cache_dir, bits=bits)


def train_knob_network(dataset: ImageDataset, protocol: Protocol, bits: int, recipe: Recipe, *,
                       device: str | torch.device = "auto", seed: int = 0,
                       checkpoint: str | os.PathLike | None = None, progress: bool = True) -> TrainedNetwork:
    """Train the CNNBH network with an ``H<bits>`` knob on the protocol's training images.

    The input standardisation uses the training images' channel statistics.
    With ``checkpoint`` the state is saved every epoch and a re-run resumes
    (``resumed_epochs`` says how many epochs came from the file).
    """
    model = build_network(dataset, bits)
    model.standardize.set_statistics(*channel_statistics(dataset.images[protocol.train]))
    return train_on_protocol(model, dataset, protocol, recipe, device=device, seed=seed, checkpoint=checkpoint,
                             progress=progress)


def rectify(features: np.ndarray) -> np.ndarray:
    """Sec. 4.3's ``X_fc+``: add 0.5 to outputs >= 0 and subtract 0.5 from the others (signs pushed apart)."""
    values = np.asarray(features, dtype=np.float32)
    return np.where(values >= 0, values + 0.5, values - 0.5).astype(np.float32)


@dataclass
class DatasetRun(ProtocolRun):
    """Everything one dataset's run produced.

    ``networks[bits]``: :class:`TrainedNetwork`; ``knob[bits]``: the knob
    outputs and codes of *every* image (index with the protocol);
    ``reports[(method, bits)]``: :class:`RetrievalReport` for ``CNNBH``,
    ``LSH`` and ``KSH``; ``baseline_seconds[(method, bits)]``: fit seconds;
    ``stages``: wall seconds per stage.
    """

    networks: dict = field(default_factory=dict)
    knob: dict = field(default_factory=dict)

    def split(self, bits: int, part: str) -> Encoded:
        """The knob features and codes of one protocol part (``query``, ``database``, ...)."""
        indices = getattr(self.protocol, part)
        return Encoded(features=self.knob[bits].features[indices], codes=self.knob[bits].codes[indices])

    def knob_inputs(self, bits: int, device: str | torch.device = "auto") -> np.ndarray:
        """The knob's input (Pool3 for CIFAR-10, Pool2 for MNIST) for every image, under the ``bits`` network."""
        return encode(self.networks[bits].model, self.dataset.images, layer=knob_inputs, device=device).features


def run_dataset(name: str, settings: dict, data_root: str | os.PathLike | None = None, *, seed: int = 0,
                device: str | torch.device = "auto", checkpoints: bool = True, progress: bool = True) -> DatasetRun:
    """Train and evaluate CNNBH at every code length of ``settings`` (a :func:`profile_plan` entry).

    Also runs LSH and KSH on the dataset's classic feature (``settings["feature"]``)
    under the same protocol, fitted on the database as the paper states.
    """
    started = time.perf_counter()
    dataset = load_dataset(name, data_root, progress=progress)
    protocol = protocol_for(dataset, "cnnh", seed=seed, **settings["protocol"])
    run = DatasetRun(dataset, protocol, settings)
    run.stages["load data"] = time.perf_counter() - started
    labels = run.labels
    query_labels, database_labels = labels[protocol.query], labels[protocol.database]
    for bits in settings["code_lengths"]:
        path = checkpoint_path(dataset, protocol, bits, settings["recipe"], seed) if checkpoints else None
        network = train_knob_network(dataset, protocol, bits, settings["recipe"], device=device, seed=seed,
                                     checkpoint=path, progress=progress)
        run.networks[bits] = network
        run.stages[f"train {bits} bits"] = network.seconds
        timer = time.perf_counter()
        run.knob[bits] = encode(network.model, dataset.images, layer=knob_outputs, device=device)
        query, database = run.split(bits, "query"), run.split(bits, "database")
        run.reports[("CNNBH", bits)] = hamming_report(query.codes, database.codes, query_labels, database_labels,
                                                      ks=REPORT_KS)
        run.stages[f"encode and evaluate {bits} bits"] = time.perf_counter() - timer
        print(f"{name} {bits} bits: trained {len(network.history)} epochs in {network.seconds:.0f} s "
              f"({network.resumed_epochs} from a checkpoint), mAP {run.reports[('CNNBH', bits)].map:.3f}",
              flush=True)
    timer = time.perf_counter()
    features, feature_seconds = dataset_features(dataset, settings["feature"], progress=progress)
    run.stages[f"{settings['feature']} features"] = feature_seconds
    for method, options in (("LSH", {}), ("KSH", settings["ksh"])):
        for bits in settings["code_lengths"]:
            codes = baseline_codes(method.lower(), bits, features, labels, protocol, seed=seed, **options)
            run.reports[(method, bits)] = hamming_report(codes["query_codes"], codes["database_codes"],
                                                         query_labels, database_labels, ks=REPORT_KS)
            run.baseline_seconds[(method, bits)] = codes["fit_seconds"]
    run.stages["LSH and KSH baselines"] = time.perf_counter() - timer - feature_seconds
    return run


def report_rows(reports: dict[tuple[str, int], RetrievalReport]) -> list[dict]:
    """Results-file rows of every report, keyed by (method, bits)."""
    rows = []
    for (method, bits), report in reports.items():
        rows += report.rows(method, bits)
    return rows
