"""One generic run of a deep hashing method on a protocol: train, encode, evaluate, compare, record.

Introduced in the CNN Based Hashing chapter; every paper chapter runs through it.
A paper's method is a :class:`DeepHashingMethod` (its network builder, its
training stages and objectives, its hash layer and threshold); a chapter run
is :func:`run_method` over the typed :class:`~hashlib_core.settings.RunSettings`
of one dataset. Per code length it trains (per-epoch checkpoints keyed by the
typed settings, so a re-run resumes and a changed setting starts afresh),
encodes every image, scores the codes (:class:`~hashlib_core.evaluation.RetrievalReport`,
mAP at the settings' depth on each query set), runs the requested classic
baselines on the same protocol, times each stage, and
:func:`write_run_results` records every parameter with the numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from .baselines.on_protocol import fit_and_encode
from .cache import resolve_cache_dir
from .codes import SIGN_THRESHOLD, PackedCodes, binarize, pack
from .data import ImageDataset, load_dataset
from .evaluation import RetrievalReport, hamming_report
from .features import dataset_features
from .metrics import hamming_map
from .nets.notation import Standardize
from .objectives import Classification, Objective
from .protocols import Protocol, protocol_for
from .runtime import pick_device, seed_everything
from .settings import Recipe, RunSettings, key_record, narrow, settings_record
from .side_by_side import side_by_side_workers, train_side_by_side
from .train import channel_statistics, encode, fit, load_checkpoint

__all__ = ["TrainingStage", "DeepHashingMethod", "TrainedNetwork", "checkpoint_path", "train_stage",
           "prepared_network", "train_network", "encode_layers", "MethodRun", "run_method", "write_run_results"]

# RunSettings fields that change how a run is scored, not how its networks train (kept out of checkpoint keys)
# Bumped whenever training numerics change for the same settings and seed (2: FastDropout's masks), so no
# checkpoint trained by older code is resumed or reused as if this code had produced it
TRAINING_REVISION = 2
_EVALUATION_FIELDS = {"code_lengths", "protocol_options", "feature", "baselines", "report_ks", "map_depth",
                      "extra_query_sets"}


@dataclass(frozen=True)
class TrainingStage:
    """One call of :func:`hashlib_core.train.fit`: a name, its recipe and its objective."""

    name: str
    recipe: Recipe
    objective: Objective


class DeepHashingMethod:
    """What a paper's method is: a network per dataset and code length, training stages, a hash function.

    Subclasses set ``name`` (the method's name in tables), ``chapter``,
    ``profiles`` (``{profile: {dataset: RunSettings}}``), ``hash_layer`` and
    ``threshold`` (a bit is 1 when the hash layer's output is strictly above
    it: :data:`hashlib_core.codes.SIGN_THRESHOLD` or ``SIGMOID_THRESHOLD``), and
    implement :meth:`build_network` and :meth:`layers`. Override
    :meth:`training_stages` for objectives other than classification or for
    several stages per code length, and :meth:`pretraining_stage` (+
    :meth:`pretraining_network`, :meth:`start_from_pretrained`) for a stage
    shared by every code length.
    """

    name: ClassVar[str]
    chapter: ClassVar[str]
    profiles: ClassVar[dict[str, dict[str, RunSettings]]]
    hash_layer: ClassVar[str] = "hash"
    threshold: ClassVar[float] = SIGN_THRESHOLD
    epochs_field: ClassVar[str] = "recipe"  # the recipe a chapter's ``epochs`` parameter replaces

    def __init_subclass__(cls, **card: Any) -> None:
        """``class CNNBH(DeepHashingMethod, name=..., chapter=..., profiles=..., hash_layer=..., threshold=...)``:
        the method's card, checked when the class is defined (what is not given is inherited)."""
        unknown = set(card) - {"name", "chapter", "profiles", "hash_layer", "threshold", "epochs_field"}
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown method card field(s) {sorted(unknown)}")
        for key, value in card.items():
            setattr(cls, key, value)
        super().__init_subclass__()
        missing = [key for key in ("name", "chapter", "profiles") if not hasattr(cls, key)]
        if missing:
            raise TypeError(f"{cls.__name__} must give {', '.join(missing)} in its class statement")
        if not isinstance(cls.threshold, (int, float)) or not isinstance(cls.hash_layer, str):
            raise TypeError(f"{cls.__name__}: threshold must be a number and hash_layer a layer name")

    def build_network(self, dataset: ImageDataset, bits: int, settings: RunSettings) -> nn.Module:
        """The untrained network for ``dataset``'s image shape with a ``bits``-unit hash layer."""
        raise NotImplementedError

    def network_inputs(self, dataset: ImageDataset, settings: RunSettings, *, device: str | torch.device = "auto",
                       progress: bool = True) -> ImageDataset:
        """What the networks train on and encode: the images (default), or the cached activations of a frozen
        pre-trained network (:func:`hashlib_core.frozen.cached_activations`)."""
        return dataset

    def layers(self, model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named real-valued outputs for a batch; must include :attr:`hash_layer` (and ``scores`` to report accuracy)."""
        raise NotImplementedError

    def training_stages(self, settings: RunSettings, bits: int) -> list[TrainingStage]:
        """The stages that train one code length's network, in order (default: classification with ``recipe``)."""
        return [TrainingStage("train", settings.recipe, Classification())]

    def pretraining_stage(self, settings: RunSettings) -> TrainingStage | None:
        """A stage trained once and shared by every code length (None: there is none)."""
        return None

    def pretraining_network(self, dataset: ImageDataset, settings: RunSettings) -> nn.Module:
        """The network :meth:`pretraining_stage` trains."""
        raise NotImplementedError(f"{type(self).__name__} declares a pre-training stage but no network for it")

    def start_from_pretrained(self, network: nn.Module, pretrained: nn.Module) -> None:
        """Copy what ``network`` inherits from the pre-trained network."""
        raise NotImplementedError(f"{type(self).__name__} declares a pre-training stage but does not use it")

    def prepare(self, network: nn.Module, dataset: ImageDataset, protocol: Protocol) -> None:
        """Set data-dependent state before training (default: every input standardisation from the training images)."""
        layers = [module for module in network.modules() if isinstance(module, Standardize)]
        if layers:
            statistics = channel_statistics(dataset.images[protocol.train])
            for layer in layers:
                layer.set_statistics(*statistics)

    def training_targets(self, dataset: ImageDataset, protocol: Protocol, settings: RunSettings,
                         device: str | torch.device) -> torch.Tensor | None:
        """Per-training-image targets for objectives that use them (e.g. a teacher's features); default None."""
        return None

    def plan(self, profile: str, datasets: list[str] | None = None, code_lengths: list[int] | None = None,
             epochs: int | None = None) -> dict[str, RunSettings]:
        """The runs of ``profile``, optionally narrowed to some datasets / code lengths or with other epochs."""
        if profile not in self.profiles:
            raise ValueError(f"profile must be one of {', '.join(map(repr, self.profiles))}, got {profile!r}")
        return narrow(self.profiles[profile], datasets, code_lengths, epochs, self.epochs_field)

    def codes(self, outputs: dict[str, np.ndarray]) -> PackedCodes:
        """The packed codes of encoded outputs: the hash layer strictly above :attr:`threshold`."""
        return pack(binarize(outputs[self.hash_layer], self.threshold))


def training_key(settings: RunSettings) -> dict:
    """The settings that decide how networks train (the typed settings minus the scoring fields)."""
    return {item.name: key_record(getattr(settings, item.name)) for item in fields(settings)
            if item.name not in _EVALUATION_FIELDS}


def checkpoint_path(chapter: str, label: str, dataset: ImageDataset, protocol: Protocol, seed: int,
                    key: dict, cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache>/checkpoints/<chapter>/<dataset>-<label>-<digest>.pt``, the digest over data, protocol,
    seed and ``key`` (the typed settings and stage), so any change starts a new file."""
    text = json.dumps({"data": dataset.checksum, "protocol": protocol.checksum, "seed": seed, **key},
                      sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return resolve_cache_dir(cache_dir) / "checkpoints" / chapter / f"{dataset.name}-{label}-{digest}.pt"


@dataclass
class TrainedNetwork:
    """A trained network, its per-epoch history (``stage`` in every entry), training seconds, resumed epochs."""

    model: nn.Module
    history: list[dict]
    seconds: float
    resumed_epochs: int = 0


def train_stage(model: nn.Module, dataset: ImageDataset, protocol: Protocol, stage: TrainingStage, *,
                targets: torch.Tensor | None = None, device: str | torch.device = "auto", seed: int = 0,
                checkpoint: str | os.PathLike | None = None, progress: bool = True) -> TrainedNetwork:
    """One stage on the protocol's training images; labels reach the objective only if it uses them.

    With ``checkpoint`` the state is saved every epoch and a re-run resumes
    (``resumed_epochs`` says how many epochs came from the file).
    """
    objective = stage.objective
    if objective.uses_labels and not protocol.supervised:
        raise ValueError(f"protocol {protocol.name!r} is unsupervised, but stage {stage.name!r} trains with "
                         f"labels ({objective!r})")
    images = dataset.images[protocol.train]
    labels = dataset.labels[protocol.train] if objective.uses_labels else None
    before = int(load_checkpoint(checkpoint)["epoch"]) if checkpoint is not None and Path(checkpoint).exists() else 0
    recipe = stage.recipe
    started = time.perf_counter()
    history = fit(model, images, labels, objective, targets=targets, epochs=recipe.epochs,
                  batch_size=recipe.batch_size, lr=recipe.lr, weight_decay=recipe.weight_decay,
                  optimizer=recipe.optimizer, schedule=recipe.schedule_factory(), ema_decay=recipe.ema_decay,
                  augmentation=recipe.augmentation(),
                  device=device, seed=seed, checkpoint=checkpoint, resume=checkpoint is not None, progress=progress,
                  log_every=max(1, recipe.epochs // 10), lr_scales=dict(recipe.lr_scales) or None,
                  precision=recipe.precision)
    history = [{**entry, "stage": stage.name} for entry in history]
    return TrainedNetwork(model, history, time.perf_counter() - started, min(before, recipe.epochs))


def _stage_checkpoint(method: DeepHashingMethod, label: str, dataset: ImageDataset, protocol: Protocol,
                      settings: RunSettings, seed: int, checkpoints: bool, **key: Any) -> Path | None:
    if not checkpoints:
        return None
    return checkpoint_path(method.chapter, label, dataset, protocol, seed,
                           {"method": method.name, "settings": training_key(settings),
                            "training_revision": TRAINING_REVISION, **key})


def pretrain(method: DeepHashingMethod, dataset: ImageDataset, protocol: Protocol, settings: RunSettings, *,
             seed: int = 0, device: str | torch.device = "auto", checkpoints: bool = True,
             progress: bool = True) -> TrainedNetwork | None:
    """The method's shared pre-training stage (None when it has none), seeded before the network is built."""
    stage = method.pretraining_stage(settings)
    if stage is None:
        return None
    seed_everything(seed)
    network = method.pretraining_network(dataset, settings)
    method.prepare(network, dataset, protocol)
    path = _stage_checkpoint(method, f"pretrain-{stage.name}", dataset, protocol, settings, seed, checkpoints,
                             stage=stage.name)
    return train_stage(network, dataset, protocol, stage, device=device, seed=seed, checkpoint=path,
                       progress=progress)


def prepared_network(method: DeepHashingMethod, dataset: ImageDataset, protocol: Protocol, settings: RunSettings,
                     bits: int, *, pretrained: TrainedNetwork | None = None, seed: int = 0) -> nn.Module:
    """One code length's untrained network: seeded with ``seed + bits``, built, prepared, started from
    ``pretrained`` when given."""
    seed_everything(seed + bits)
    network = method.build_network(dataset, bits, settings)
    method.prepare(network, dataset, protocol)
    if pretrained is not None:
        method.start_from_pretrained(network, pretrained.model)
    return network


def train_network(method: DeepHashingMethod, dataset: ImageDataset, protocol: Protocol, settings: RunSettings,
                  bits: int, *, pretrained: TrainedNetwork | None = None, targets: torch.Tensor | None = None,
                  seed: int = 0, device: str | torch.device = "auto", checkpoints: bool = True,
                  progress: bool = True) -> TrainedNetwork:
    """Build (seeded with ``seed + bits``) and train one code length's network through the method's stages."""
    network = prepared_network(method, dataset, protocol, settings, bits, pretrained=pretrained, seed=seed)
    history, seconds, resumed = [], 0.0, 0
    for stage in method.training_stages(settings, bits):
        path = _stage_checkpoint(method, f"{bits}b-{stage.name}", dataset, protocol, settings, seed, checkpoints,
                                 bits=bits, stage=stage.name)
        trained = train_stage(network, dataset, protocol, stage, targets=targets, device=device, seed=seed,
                              checkpoint=path, progress=progress)
        history += trained.history
        seconds += trained.seconds
        resumed += trained.resumed_epochs
    return TrainedNetwork(network, history, seconds, resumed)


def encode_layers(method: DeepHashingMethod, model: nn.Module, images: torch.Tensor, *,
                  device: str | torch.device = "auto") -> dict[str, np.ndarray]:
    """Every named layer of :meth:`DeepHashingMethod.layers` for every image, ``{name: (n, d) float32}``."""
    names: list[str] = []
    widths: list[int] = []

    def concatenated(network: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        outputs = method.layers(network, inputs)
        if not names:
            names.extend(outputs)
            widths.extend(int(np.prod(value.shape[1:])) for value in outputs.values())
        return torch.cat([value.reshape(len(inputs), -1).float() for value in outputs.values()], dim=1)

    features = encode(model, images, layer=concatenated, device=device).features
    bounds = np.cumsum([0] + widths)
    return {name: features[:, start:stop] for name, start, stop in zip(names, bounds[:-1], bounds[1:])}


@dataclass
class MethodRun:
    """Everything one dataset's run of a method produced.

    ``protocol``: the main protocol (reports); ``query_sets``: further query
    sets on the same database (mAP at the settings' depth);
    ``pretrained``: the shared stage (or None); ``networks[bits]``;
    ``outputs[bits]``: ``{layer: (n, d)}`` for every image (index with a
    protocol); ``codes[(method, bits)]``: packed codes of every image, for the
    method and each baseline; ``reports[(method, bits)]``;
    ``map_at_depth[(query set, method, bits)]``; ``accuracy[bits]``: test
    classification accuracy when the network outputs class ``scores``;
    ``baseline_seconds[(method, bits)]``: fit seconds; ``stages``: wall seconds; ``workers``: processes
    that trained the code lengths side by side; ``inputs``: what the networks saw (``dataset`` itself, or
    cached activations of a frozen network, :meth:`DeepHashingMethod.network_inputs`).
    """

    method: DeepHashingMethod
    settings: RunSettings
    dataset: ImageDataset
    protocol: Protocol
    seed: int
    query_sets: dict[str, Protocol] = field(default_factory=dict)
    pretrained: TrainedNetwork | None = None
    pretrained_accuracy: float | None = None
    networks: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    reports: dict = field(default_factory=dict)
    map_at_depth: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)
    baseline_seconds: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)
    workers: int = 1
    inputs: ImageDataset | None = None

    @property
    def network_images(self) -> torch.Tensor:
        """What the networks take for every image: the images, or a frozen network's cached activations."""
        return (self.inputs if self.inputs is not None else self.dataset).images

    @property
    def labels(self) -> np.ndarray:
        """Class ids of every image (used for scoring only)."""
        return self.dataset.labels.numpy()

    def layer(self, bits: int, name: str, part: str, protocol: Protocol | None = None) -> np.ndarray:
        """One layer's outputs for one protocol part (``query``, ``database``, ``train``, ...)."""
        return self.outputs[bits][name][getattr(protocol or self.protocol, part)]

    def part_codes(self, method: str, bits: int, part: str, protocol: Protocol | None = None) -> PackedCodes:
        """The packed codes of one method for one protocol part."""
        return self.part_codes_of(self.codes[(method, bits)], part, protocol)

    def part_codes_of(self, codes: PackedCodes, part: str, protocol: Protocol | None = None) -> PackedCodes:
        """The rows of one protocol part of codes for every image."""
        return codes[getattr(protocol or self.protocol, part)]

    def part_labels(self, part: str, protocol: Protocol | None = None) -> np.ndarray:
        """The labels of one protocol part."""
        return self.labels[getattr(protocol or self.protocol, part)]

    def score(self, method: str, bits: int, codes: PackedCodes) -> None:
        """Keep ``codes`` (every image) and compute the report and the mAP at depth on every query set."""
        self.codes[(method, bits)] = codes
        self.reports[(method, bits)] = hamming_report(
            self.part_codes(method, bits, "query"), self.part_codes(method, bits, "database"),
            self.part_labels("query"), self.part_labels("database"), ks=self.settings.report_ks)
        depth = self.settings.map_depth
        if depth is not None:
            for name, protocol in {"": self.protocol, **self.query_sets}.items():
                self.map_at_depth[(name, method, bits)] = hamming_map(
                    self.part_codes(method, bits, "query", protocol), self.part_codes(method, bits, "database", protocol),
                    self.part_labels("query", protocol), self.part_labels("database", protocol), depth)

    @property
    def headline_name(self) -> str:
        """The results-file name of the headline number (``mAP``, ``mAP@1000 (all test queries)``)."""
        if self.settings.map_depth is None:
            return "mAP"
        query_set = list(self.query_sets)[-1] if self.query_sets else ""
        return f"mAP@{self.settings.map_depth}" + (f" ({query_set})" if query_set else "")

    def headline(self, method: str, bits: int) -> float:
        """The chapter's headline number: mAP at depth over the last query set if any, else full-ranking mAP."""
        if self.settings.map_depth is None:
            return self.reports[(method, bits)].map
        query_set = list(self.query_sets)[-1] if self.query_sets else ""
        return self.map_at_depth[(query_set, method, bits)]

    def training_table(self) -> list[dict]:
        """One row per trained network and stage: epochs, resumed epochs, minutes, images/s, last accuracy."""
        trained = ([("pre-training", None, self.pretrained)] if self.pretrained else []) + \
            [(self.method.name, bits, network) for bits, network in self.networks.items()]
        rows = []
        for what, bits, network in trained:
            for stage in dict.fromkeys(entry["stage"] for entry in network.history):
                entries = [entry for entry in network.history if entry["stage"] == stage]
                rows.append({"network": what, "bits": bits, "stage": stage, "epochs": len(entries),
                             "minutes": sum(entry["seconds"] for entry in entries) / 60,
                             "images/s": float(np.median([entry["images_per_second"] for entry in entries])),
                             "last loss": entries[-1]["loss"], "last training accuracy": entries[-1]["accuracy"],
                             "resumed epochs": network.resumed_epochs})
        return rows

    def rows(self) -> list[dict]:
        """Results-file rows: reports, mAP at depth per query set, accuracy, training and baseline seconds."""
        rows = []
        for (method, bits), report in self.reports.items():
            rows += report.rows(method, bits)
        for (query_set, method, bits), value in self.map_at_depth.items():
            suffix = f" ({query_set})" if query_set else ""
            rows.append({"name": f"mAP@{self.settings.map_depth}{suffix}", "method": method, "bits": bits,
                         "value": value})
        rows += [{"name": "test accuracy", "method": self.method.name, "bits": bits, "value": value}
                 for bits, value in self.accuracy.items()]
        if self.pretrained_accuracy is not None:
            rows.append({"name": "test accuracy", "method": "pre-trained network", "bits": None,
                         "value": self.pretrained_accuracy})
        rows += [{"name": "training", "method": row["network"], "bits": row["bits"], "stage": row["stage"],
                  "value": row["last training accuracy"], "epochs": row["epochs"], "minutes": row["minutes"],
                  "images_per_second": row["images/s"], "resumed_epochs": row["resumed epochs"]}
                 for row in self.training_table()]
        rows += [{"name": "fit seconds", "method": method, "bits": bits, "value": seconds}
                 for (method, bits), seconds in self.baseline_seconds.items()]
        return rows


def _test_accuracy(scores: np.ndarray, labels: np.ndarray, is_test: np.ndarray) -> float:
    return float((scores[is_test].argmax(axis=1) == labels[is_test]).mean())


def _timed(run: MethodRun, stage: str, started: float) -> None:
    run.stages[stage] = run.stages.get(stage, 0.0) + time.perf_counter() - started


def run_method(method: DeepHashingMethod, data: str | ImageDataset, settings: RunSettings,
               data_root: str | os.PathLike | None = None, *, seed: int = 0, device: str | torch.device = "auto",
               checkpoints: bool = True, progress: bool = True, workers: int | None = None) -> MethodRun:
    """Train, encode and evaluate ``method`` on a dataset (a name for :func:`~hashlib_core.data.load_dataset`, or an
    :class:`~hashlib_core.data.ImageDataset`) at every code length of ``settings``, then fit and evaluate the
    settings' classic baselines on the same protocol.

    ``workers``: processes that train the code lengths' networks side by side
    (:mod:`hashlib_core.side_by_side`); None picks one per CPU core (at most one
    per network) on the CPU and 1 (this process) on a GPU.
    """
    started = time.perf_counter()
    dataset = data if isinstance(data, ImageDataset) else load_dataset(data, data_root, progress=progress)
    name = dataset.name
    protocol = protocol_for(dataset, settings.protocol, seed=seed, **settings.protocol_options)
    query_sets = {label: protocol_for(dataset, settings.protocol, seed=seed, **{**settings.protocol_options,
                                                                                **overrides})
                  for label, overrides in settings.extra_query_sets.items()}
    run = MethodRun(method, settings, dataset, protocol, seed, query_sets)
    _timed(run, "load data", started)
    started = time.perf_counter()
    run.inputs = inputs = method.network_inputs(dataset, settings, device=device, progress=progress)
    if inputs is not dataset:
        _timed(run, "frozen network activations", started)
    # a copy, not a view: handing the dataset to side-by-side workers moves its tensors into shared memory, which
    # would leave a numpy view pointing at freed memory (accuracies over a garbage mask)
    is_test = dataset.is_test.numpy().copy()
    run.pretrained = pretrain(method, inputs, protocol, settings, seed=seed, device=device, checkpoints=checkpoints,
                              progress=progress)
    if run.pretrained is not None:
        run.stages["pre-training"] = run.pretrained.seconds
        if method.pretraining_stage(settings).objective.classifies:
            scores = encode(run.pretrained.model, inputs.images[is_test], device=device).features
            run.pretrained_accuracy = float((scores.argmax(axis=1) == run.labels[is_test]).mean())
        print(f"{name} pre-training: {_epochs_line(run.pretrained)}"
              + (f", test accuracy {run.pretrained_accuracy:.4f}" if run.pretrained_accuracy is not None else ""),
              flush=True)
    targets = method.training_targets(dataset, protocol, settings, device)
    lengths = list(settings.code_lengths)
    run.workers = side_by_side_workers(device, len(lengths), workers)
    side_by_side: dict[int, TrainedNetwork] = {}
    if run.workers > 1:
        started = time.perf_counter()
        side_by_side = train_side_by_side(method, inputs, protocol, settings, lengths, run.workers,
                                          pretrained=run.pretrained, targets=targets, seed=seed,
                                          checkpoints=checkpoints, progress=progress)
        _timed(run, f"train {len(lengths)} networks, {run.workers} side by side", started)
    for bits in lengths:
        network = side_by_side.get(bits) or train_network(
            method, inputs, protocol, settings, bits, pretrained=run.pretrained, targets=targets, seed=seed,
            device=device, checkpoints=checkpoints, progress=progress)
        run.networks[bits] = network
        if bits not in side_by_side:
            run.stages[f"train {bits} bits"] = network.seconds
        started = time.perf_counter()
        run.outputs[bits] = outputs = encode_layers(method, network.model, inputs.images, device=device)
        run.score(method.name, bits, method.codes(outputs))
        if "scores" in outputs:
            run.accuracy[bits] = _test_accuracy(outputs["scores"], run.labels, is_test)
        _timed(run, f"encode and evaluate {bits} bits", started)
        accuracy = f", test accuracy {run.accuracy[bits]:.4f}" if bits in run.accuracy else ""
        print(f"{name} {bits} bits: {_epochs_line(network)}{accuracy}, headline {run.headline(method.name, bits):.4f}",
              flush=True)
    if settings.baselines:
        run_baselines(run, progress=progress)
    return run


def _epochs_line(network: TrainedNetwork) -> str:
    """"50 epochs (20 from checkpoint) in 1234 s": short enough for a notebook's output box."""
    resumed = f" ({network.resumed_epochs} from checkpoint)" if network.resumed_epochs else ""
    return f"{len(network.history)} epochs{resumed} in {network.seconds:.0f} s"


def run_baselines(run: MethodRun, *, progress: bool = True) -> None:
    """Fit every baseline of the run's settings on its classic feature and score it like the method."""
    settings = run.settings
    features = {}
    for kind in dict.fromkeys(baseline.feature or settings.feature for baseline in settings.baselines):
        features[kind], run.stages[f"{kind} features"] = dataset_features(run.dataset, kind, progress=progress)
    started = time.perf_counter()
    labels = run.labels if run.protocol.supervised else None
    for baseline in settings.baselines:
        for bits in settings.code_lengths:
            codes, seconds = fit_and_encode(baseline.method, bits, features[baseline.feature or settings.feature],
                                            labels, run.protocol, seed=run.seed, **baseline.options)
            run.score(baseline.label, bits, codes)
            run.baseline_seconds[(baseline.label, bits)] = seconds
    _timed(run, "classic baselines", started)


def write_run_results(run: MethodRun, profile: str, *, extra_rows: list[dict] | None = None,
                      extra_stages: dict[str, float] | None = None, device: str | torch.device = "auto",
                      directory: str | os.PathLike | None = None) -> Path:
    """Write ``results/<chapter>/<dataset>.json`` with every row of the run (plus a chapter's study rows),
    the seconds per stage and the parameters, taken from the typed settings rather than retyped."""
    from .results import write_results

    parameters = {"profile": profile, "method": run.method.name, "seed": run.seed,
                  "settings": settings_record(run.settings), "training_processes": run.workers,
                  "query_sets": {name: protocol.describe() for name, protocol in run.query_sets.items()}}
    return write_results(run.method.chapter, run.dataset.describe(), run.protocol.describe(),
                         run.rows() + list(extra_rows or []), code_lengths=list(run.settings.code_lengths),
                         stage_seconds={**run.stages, **(extra_stages or {})}, parameters=parameters, seed=run.seed,
                         device=str(pick_device(device)), directory=directory)
