"""Deep Learning of Binary Hash Codes (Lin et al. 2015) as an experiment: pre-train, fine-tune with H, search.

Introduced in the DLBHC chapter. The method (Sec. 3):

1. supervised pre-training of a classification network (the paper: AlexNet on
   ImageNet; offline, our CPU backbone is pre-trained on the target training
   images themselves, see :data:`PROFILES`);
2. a latent layer H of ``h`` sigmoid units inserted between F7 and F8, H and F8
   randomly initialised, the whole network fine-tuned with the class labels;
   codes are ``Out(H) >= 0.5`` (Eq. 1);
3. hierarchical deep search: a candidate pool by Hamming distance on H, re-ranked
   by Euclidean distance on F7 (Eq. 2), :func:`hashlib_core.search.coarse_to_fine_search`.

* :data:`PROFILES`: ``smoke`` (embedded MNIST, seconds), ``paper`` (MNIST and
  CIFAR-10 with the CPU backbone, 90 minutes on 2 cores), ``alexnet`` (the
  paper's ImageNet-pretrained AlexNet, for readers with internet and a GPU);
* :func:`pretrain_backbone`, :func:`finetune_latent_network`: the two training stages, checkpointed;
* :func:`run_dataset`: every code length of one dataset, classification accuracy,
  Hamming-ranking reports on the 1,000-query protocol, mAP@1000 over all test
  queries, and the classic baselines on the same protocols.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from .baselines.evaluation import baseline_codes
from .codes import pack
from .data import ImageDataset, load_dataset
from .evaluation import RetrievalReport, feature_report, hamming_report
from .experiment import ProtocolRun, Recipe, TrainedNetwork, checkpoint_path, narrow_profile, train_on_protocol
from .features import dataset_features
from .metrics import average_precision, hamming_map, precision_at_k, ranked_list_relevance
from .search import coarse_to_fine_search, hamming_lookup, hamming_rank
from .nets.dlbhc import LatentHashNet, dlbhc_alexnet, dlbhc_small
from .protocols import Protocol, protocol_for
from .train import Encoded, channel_statistics, encode, evaluate_accuracy

__all__ = ["PROFILES", "REPORT_KS", "MAP_DEPTH", "LATENT_THRESHOLD", "profile_plan", "build_network",
           "pretrain_backbone", "finetune_latent_network", "LatentOutputs", "DatasetRun", "run_dataset",
           "report_rows", "search_comparison", "POOL_SIZES", "RADII"]

REPORT_KS = (1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)  # Figs. 4 and 6 go to 1,000
MAP_DEPTH = 1000  # the release's mAP@1000
LATENT_THRESHOLD = 0.5  # Eq. (1)
POOL_SIZES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, None)  # None: the whole database
RADII = (0, 1, 2, 3, 4, 6, 8)

_CPU_BACKBONE = {"name": "small", "width": 24, "f7_dim": 512}
_BASELINES = ("lsh", "sh", "itq", "itq-cca", "ksh")
PROFILES: dict[str, dict[str, dict]] = {
    "smoke": {"mnist5k": {"code_lengths": [12, 48], "backbone": {"name": "small", "width": 8, "f7_dim": 64},
                          "pretrain": Recipe(epochs=4, weight_decay=0.05, padding=0, flip=False),
                          "finetune": Recipe(epochs=3, lr=2e-3, weight_decay=0.05, padding=0, flip=False),
                          "protocol": {"n_queries": 200}, "feature": "pixels", "baselines": ("lsh", "itq"),
                          "baseline_options": {}}},
    "paper": {"mnist": {"code_lengths": [12, 32, 48, 128], "backbone": _CPU_BACKBONE,
                        "pretrain": Recipe(epochs=8, batch_size=128, weight_decay=0.05, padding=2, flip=False),
                        "finetune": Recipe(epochs=3, lr=2e-3, batch_size=128, weight_decay=0.05, padding=2,
                                           flip=False),
                        "protocol": {}, "feature": "pixels", "baselines": _BASELINES, "baseline_options": {}},
              "cifar10": {"code_lengths": [12, 32, 48, 128], "backbone": _CPU_BACKBONE,
                          "pretrain": Recipe(epochs=30, batch_size=128, weight_decay=0.05),
                          "finetune": Recipe(epochs=4, lr=2e-3, batch_size=128, weight_decay=0.05),
                          "stem_lr_scale": 0.1,  # benchmarks/dlbhc_finetune_recipe.py: mAP@1000 0.827 -> 0.839
                          "protocol": {}, "feature": "gist512", "baselines": _BASELINES, "baseline_options": {}}},
    "alexnet": {name: {"code_lengths": [12, 32, 48, 128], "backbone": {"name": "alexnet", "pretrained": True},
                       "pretrain": None,
                       "finetune": Recipe(epochs=10, lr=1e-3, weight_decay=5e-4, optimizer="sgd", batch_size=128,
                                          padding=2, flip=name == "cifar10"),
                       "protocol": {}, "feature": feature, "baselines": _BASELINES, "baseline_options": {}}
                for name, feature in (("mnist", "pixels"), ("cifar10", "gist512"))},
}


def profile_plan(profile: str, datasets: list[str] | None = None, code_lengths: list[int] | None = None,
                 epochs: int | None = None) -> dict[str, dict]:
    """The runs of a profile, optionally narrowed; ``epochs`` replaces the fine-tuning epochs."""
    return narrow_profile(PROFILES, profile, datasets, code_lengths, epochs, recipe_key="finetune")


def build_network(dataset: ImageDataset, bits: int, backbone: dict) -> LatentHashNet:
    """The latent-layer network for ``dataset`` with ``bits`` H units on ``backbone`` (a profile entry).

    ``{"name": "small", "width": w, "f7_dim": d}``: the CPU backbone, input
    standardisation from the dataset's training split; ``{"name": "alexnet",
    "pretrained": bool}``: torchvision's AlexNet (ImageNet weights when pretrained).
    """
    classes = int(dataset.labels.max()) + 1
    options = dict(backbone)
    name = options.pop("name", None)
    if name == "small":
        return dlbhc_small(bits, classes, channels=dataset.images.shape[1], **options)
    if name == "alexnet":
        return dlbhc_alexnet(bits, classes, **options)
    raise ValueError(f"backbone name must be 'small' (CPU, from scratch) or 'alexnet' (ImageNet), got {name!r}")


def _classifier_on_f7(network: LatentHashNet) -> nn.Module:
    """The pre-training network: the stem with F8 straight on F7 (no latent layer)."""
    return nn.Sequential(network.stem, nn.Linear(network.f7_dim, network.classifier.out_features))


def pretrain_backbone(dataset: ImageDataset, protocol: Protocol, settings: dict, *, device: str | torch.device = "auto",
                      seed: int = 0, checkpoints: bool = True, progress: bool = True) -> TrainedNetwork | None:
    """Stage 1: train the stem + F8 classifier on the protocol's training images (None: no pre-training stage).

    Stands in for the paper's ImageNet pre-training when the backbone trains
    from scratch; the returned model is ``Sequential(stem, F8)``.
    """
    recipe = settings["pretrain"]
    if recipe is None:
        return None
    torch.manual_seed(seed)
    network = build_network(dataset, 1, settings["backbone"])
    network.standardize.set_statistics(*channel_statistics(dataset.images[protocol.train]))
    path = checkpoint_path("dlbhc", "pretrain", dataset, protocol, recipe, seed,
                           backbone=settings["backbone"]) if checkpoints else None
    return train_on_protocol(_classifier_on_f7(network), dataset, protocol, recipe, device=device, seed=seed,
                             checkpoint=path, progress=progress)


def finetune_latent_network(dataset: ImageDataset, protocol: Protocol, bits: int, settings: dict,
                            pretrained: TrainedNetwork | None, *, device: str | torch.device = "auto", seed: int = 0,
                            checkpoints: bool = True, progress: bool = True) -> TrainedNetwork:
    """Stage 2: insert H (``bits`` sigmoid units) between F7 and F8 and fine-tune the whole network.

    The stem starts from ``pretrained`` (stage 1) or, for AlexNet, from the
    ImageNet weights; H and F8 are randomly initialised (Sec. 3.1).
    ``settings["stem_lr_scale"]`` (default 1) scales the stem's learning rate
    against the new layers', as fine-tuning usually lets the new layers learn faster.
    """
    torch.manual_seed(seed + bits)
    network = build_network(dataset, bits, settings["backbone"])
    if pretrained is not None:
        network.stem.load_state_dict(pretrained.model[0].state_dict())
    recipe = settings["finetune"]
    stem_scale = settings.get("stem_lr_scale", 1.0)
    scale_key = {} if stem_scale == 1.0 else {"stem_lr_scale": stem_scale}  # unscaled runs keep their old keys
    path = checkpoint_path("dlbhc", f"{bits}b", dataset, protocol, recipe, seed, bits=bits,
                           backbone=settings["backbone"],
                           pretrain=asdict(settings["pretrain"]) if settings["pretrain"] else None, **scale_key) \
        if checkpoints else None
    return train_on_protocol(network, dataset, protocol, recipe, device=device, seed=seed, checkpoint=path,
                             progress=progress, lr_scales={"stem": stem_scale} if stem_scale != 1.0 else None)


@dataclass
class LatentOutputs:
    """One network's outputs for every image: ``latent`` (n, h) in (0, 1), ``f7`` (n, d), ``scores`` (n, classes).

    ``codes``: packed ``latent >= 0.5`` (Eq. 1).
    """

    latent: np.ndarray
    f7: np.ndarray
    scores: np.ndarray
    codes: object

    def take(self, indices: np.ndarray) -> "LatentOutputs":
        """The rows of some images (e.g. a protocol's queries)."""
        return LatentOutputs(self.latent[indices], self.f7[indices], self.scores[indices], self.codes[indices])


def latent_outputs_of(network: LatentHashNet, images: torch.Tensor, device: str | torch.device = "auto") -> LatentOutputs:
    """H, F7 and F8 for every image in one pass (eval mode, batched)."""
    def all_layers(model: LatentHashNet, inputs: torch.Tensor) -> torch.Tensor:
        outputs = model.forward_all(inputs)
        return torch.cat([outputs["latent"], outputs["f7"], outputs["scores"]], dim=1)

    encoded: Encoded = encode(network, images, layer=all_layers, device=device)
    bits, f7_dim = network.bits, network.f7_dim
    latent = encoded.features[:, :bits]
    return LatentOutputs(latent=latent, f7=encoded.features[:, bits:bits + f7_dim],
                         scores=encoded.features[:, bits + f7_dim:],
                         codes=pack((latent >= LATENT_THRESHOLD).astype(np.uint8)))  # Eq. (1): >= 0.5


@dataclass
class DatasetRun(ProtocolRun):
    """Everything one dataset's run produced.

    ``protocol``: 1,000 test queries vs the training split (Figs. 4/6, HDS);
    ``all_queries``: every test image vs the training split (mAP@1000);
    ``pretrained``: stage 1 (None for AlexNet); ``networks[bits]``: stage 2;
    ``outputs[bits]``: :class:`LatentOutputs` of every image;
    ``accuracy[bits]``: test classification accuracy (all test images);
    ``reports[(method, bits)]``: Hamming ranking on ``protocol``;
    ``map_at_depth[(method, bits)]``: mAP@1000 on ``all_queries``;
    ``stages``: wall seconds per stage.
    """

    all_queries: Protocol = field(kw_only=True)
    pretrained: TrainedNetwork | None = None
    pretrained_accuracy: float | None = None
    networks: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)
    map_at_depth: dict = field(default_factory=dict)

    def split(self, bits: int, part: str, protocol: Protocol | None = None) -> LatentOutputs:
        """The network outputs of one protocol part (``query``, ``database``, ...)."""
        return self.outputs[bits].take(getattr(protocol or self.protocol, part))


def _test_accuracy(scores: np.ndarray, labels: np.ndarray, test: np.ndarray) -> float:
    return float((scores[test].argmax(axis=1) == labels[test]).mean())


def run_dataset(name: str, settings: dict, data_root: str | os.PathLike | None = None, *, seed: int = 0,
                device: str | torch.device = "auto", checkpoints: bool = True, progress: bool = True) -> DatasetRun:
    """Pre-train, fine-tune and evaluate DLBHC at every code length of ``settings`` (a :func:`profile_plan` entry).

    Also fits the classic baselines of ``settings["baselines"]`` on the
    dataset's classic feature and evaluates them on the same two protocols.
    """
    started = time.perf_counter()
    dataset = load_dataset(name, data_root, progress=progress)
    protocol = protocol_for(dataset, "dlbhc", seed=seed, **settings["protocol"])
    all_queries = protocol_for(dataset, "dlbhc", seed=seed, **{**settings["protocol"], "n_queries": None})
    run = DatasetRun(dataset, protocol, settings, all_queries=all_queries)
    run.stages["load data"] = time.perf_counter() - started
    labels, test = run.labels, np.flatnonzero(dataset.is_test.numpy())
    query_labels, database_labels = labels[protocol.query], labels[protocol.database]

    run.pretrained = pretrain_backbone(dataset, protocol, settings, device=device, seed=seed,
                                       checkpoints=checkpoints, progress=progress)
    if run.pretrained is not None:
        run.stages["pre-train backbone"] = run.pretrained.seconds
        run.pretrained_accuracy = evaluate_accuracy(run.pretrained.model, dataset.images[test],
                                                    dataset.labels[test], device=device)
        print(f"{name} pre-training: {len(run.pretrained.history)} epochs in {run.pretrained.seconds:.0f} s "
              f"({run.pretrained.resumed_epochs} from a checkpoint), test accuracy {run.pretrained_accuracy:.4f}",
              flush=True)
    for bits in settings["code_lengths"]:
        network = finetune_latent_network(dataset, protocol, bits, settings, run.pretrained, device=device,
                                          seed=seed, checkpoints=checkpoints, progress=progress)
        run.networks[bits] = network
        run.stages[f"fine-tune {bits} bits"] = network.seconds
        timer = time.perf_counter()
        run.outputs[bits] = outputs = latent_outputs_of(network.model, dataset.images, device)
        run.accuracy[bits] = _test_accuracy(outputs.scores, labels, test)
        query, database = run.split(bits, "query"), run.split(bits, "database")
        run.reports[("DLBHC", bits)] = hamming_report(query.codes, database.codes, query_labels, database_labels,
                                                      ks=REPORT_KS)
        run.map_at_depth[("DLBHC", bits)] = hamming_map(
            outputs.codes[all_queries.query], outputs.codes[all_queries.database], labels[all_queries.query],
            labels[all_queries.database], MAP_DEPTH)
        run.stages[f"encode and evaluate {bits} bits"] = time.perf_counter() - timer
        print(f"{name} {bits} bits: fine-tuned {len(network.history)} epochs in {network.seconds:.0f} s "
              f"({network.resumed_epochs} from a checkpoint), test accuracy {run.accuracy[bits]:.4f}, "
              f"mAP@{MAP_DEPTH} {run.map_at_depth[('DLBHC', bits)]:.4f}", flush=True)
    _run_baselines(run, progress)
    return run


def _positions(superset: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Where each of ``subset`` sits in ``superset`` (both index arrays; every subset entry is present)."""
    order = np.argsort(superset, kind="stable")
    return order[np.searchsorted(superset[order], subset)]


def _run_baselines(run: DatasetRun, progress: bool) -> None:
    timer = time.perf_counter()
    features, feature_seconds = dataset_features(run.dataset, run.settings["feature"], progress=progress)
    run.stages[f"{run.settings['feature']} features"] = feature_seconds
    labels = run.labels
    for method in run.settings["baselines"]:
        options = run.settings["baseline_options"].get(method, {})
        for bits in run.settings["code_lengths"]:
            codes = baseline_codes(method, bits, features, labels, run.all_queries, seed=run.protocol.seed,
                                   **options)
            # the 1,000 queries are a subset of all test queries: index their rows out of the full encoding
            position = _positions(run.all_queries.query, run.protocol.query)
            run.reports[(method.upper(), bits)] = hamming_report(
                codes["query_codes"][position], codes["database_codes"], labels[run.protocol.query],
                labels[run.protocol.database], ks=REPORT_KS)
            run.map_at_depth[(method.upper(), bits)] = hamming_map(
                codes["query_codes"], codes["database_codes"], labels[run.all_queries.query],
                labels[run.all_queries.database], MAP_DEPTH)
            run.baseline_seconds[(method.upper(), bits)] = codes["fit_seconds"]
    run.stages["classic baselines"] = time.perf_counter() - timer - feature_seconds


def report_rows(run: DatasetRun) -> list[dict]:
    """Results-file rows: Hamming-ranking reports, mAP@1000 over all test queries, test accuracy."""
    rows = []
    for (method, bits), report in run.reports.items():
        rows += report.rows(method, bits)
    rows += [{"name": f"mAP@{MAP_DEPTH} (all test queries)", "method": method, "bits": bits, "value": value}
             for (method, bits), value in run.map_at_depth.items()]
    rows += [{"name": "test accuracy", "method": "DLBHC", "bits": bits, "value": value}
             for bits, value in run.accuracy.items()]
    if run.pretrained_accuracy is not None:
        rows.append({"name": "test accuracy", "method": "pre-trained backbone (no H)", "bits": None,
                     "value": run.pretrained_accuracy})
    return rows



def _timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def search_comparison(run: DatasetRun, bits: int, *, pool_sizes: tuple = POOL_SIZES, radii: tuple = RADII,
                      ks: tuple = REPORT_KS) -> dict[str, list[dict]]:
    """ES, BCS and HDS (Sec. 4.5, Figs. 8/9) on the run's 1,000 queries with the ``bits`` network.

    ES: exhaustive Euclidean ranking on F7; BCS: Hamming ranking of the
    codes; HDS: a pool of the ``pool_size`` Hamming-nearest codes (or every
    code within a Hamming ``radius``) re-ranked by Euclidean distance on F7.
    Results of at most ``max(ks)`` items; a shorter list counts its missing
    places as misses. Returns ``{"summary": [...], "curves": [...],
    "radius": [...]}`` rows (precision, mAP@1000 and milliseconds per query).
    """
    depth = max(ks)
    query, database = run.split(bits, "query"), run.split(bits, "database")
    query_labels, database_labels = run.labels[run.protocol.query], run.labels[run.protocol.database]
    n_queries = len(query_labels)
    summary, curves = [], []

    def record(search: str, pool, relevance: np.ndarray, seconds: float) -> None:
        precision = precision_at_k(relevance, ks)
        # AP over a list shorter than the depth is not comparable (it is normalised by what was returned)
        full_depth = pool >= depth
        summary.append({"search": search, "pool size": pool,
                        "mAP@1000": float(average_precision(relevance).mean()) if full_depth else None,
                        "precision@10": float(precision[list(ks).index(10)]) if 10 in ks else None,
                        "ms per query": 1e3 * seconds / n_queries})
        curves.extend({"search": search, "k": int(k), "precision": float(value)} for k, value in zip(ks, precision))

    exhaustive, seconds = _timed(lambda: feature_report(query.f7, database.f7, query_labels, database_labels,
                                                        depth=depth, ks=ks))
    summary.append({"search": "ES (F7, exhaustive)", "pool size": len(database_labels), "mAP@1000": exhaustive.map,
                    "precision@10": float(exhaustive.precision_at_k[list(ks).index(10)]) if 10 in ks else None,
                    "ms per query": 1e3 * seconds / n_queries})
    curves += [{"search": "ES (F7, exhaustive)", "k": int(k), "precision": float(value)}
               for k, value in zip(exhaustive.ks, exhaustive.precision_at_k)]
    (ranking, _), seconds = _timed(lambda: hamming_rank(query.codes, database.codes, depth))
    record("BCS (Hamming)", depth, ranked_list_relevance(list(ranking), query_labels, database_labels, depth),
           seconds)
    sizes = sorted({len(database_labels) if pool is None else min(int(pool), len(database_labels))
                    for pool in pool_sizes})
    for size in sizes:
        lists, seconds = _timed(lambda: coarse_to_fine_search(query.codes, database.codes, query.f7, database.f7,
                                                               depth, pool_size=size))
        record(f"HDS (pool {size})", size, ranked_list_relevance(lists, query_labels, database_labels, depth),
               seconds)
    radius_rows = []
    for radius in radii:
        found = hamming_lookup(query.codes, database.codes, radius)
        candidates = np.array([len(indices) for indices, _ in found])
        lists, seconds = _timed(lambda: coarse_to_fine_search(query.codes, database.codes, query.f7, database.f7,
                                                               depth, radius=radius))
        relevance = ranked_list_relevance(lists, query_labels, database_labels, depth)
        precision = precision_at_k(relevance, [k for k in (10, 100) if k <= depth])
        radius_rows.append({"radius": radius, "mean candidates": float(candidates.mean()),
                            "queries without candidates": float((candidates == 0).mean()),
                            "HDS precision@10": float(precision[0]),
                            "HDS precision@100": float(precision[-1]),
                            "ms per query": 1e3 * seconds / n_queries})
    return {"summary": summary, "curves": curves, "radius": radius_rows}
