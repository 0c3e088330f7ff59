"""Zeng et al.'s studies: the combined similarity with a perceptual hash (Sec. 3.3, Eqs. 3-4), the ablations.

Introduced in the Zeng chapter.

**Eq. 3**, for network codes H of n bits and 64-bit perceptual hashes H':
``sim = s(H1, H2) + s(H1', H2') / n`` if ``s(H1, H2) != 1``, else ``(n-1)/n + s(H1', H2') / n``.
The printed first case reads ``s(H1, H2')`` (a network code against a perceptual
hash of another length, which cannot be computed): both readings here use
``s(H1', H2')``. **Eq. 4** defines ``s`` as the normalised Hamming *distance*
``d / n`` while the text ranks "from high to low according to similarity", so
two readings are measured:

* ``"similarity"``: ``s = 1 - d/n`` (identical codes have s = 1), ranked from
  high to low. The perceptual term orders images *within* a Hamming distance;
  the else case puts identical codes level with codes one bit apart;
* ``"distance"``: ``s = d/n`` as printed, ranked from low to high (a distance):
  the same ordering within a Hamming distance, and the else case (every bit
  different) moves complementary codes one bit closer.

Both reduce to an integer key ``D * 64 + d'`` with the network codes' Hamming
distance ``D`` clipped (``max(d, 1)`` or ``min(d, n - 1)``) and ``d'`` the
perceptual hashes' distance; ties of the key go by database index, as
everywhere in this book.

The perceptual hash is ``imagehash.phash`` (a 64-bit DCT hash of the image
in grey levels, so it ignores colour, which the paper's Fig. 7 is about).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
import torch

from ..codes import PackedCodes, as_packed, pack
from ..data import OFFICIAL_SIZES, ImageDataset
from ..experiment import MethodRun, run_method
from ..methods.zeng import (ITERATIONS_PER_HALVING, PAPER_BATCH, PAPER_EPOCHS, PAPER_LR, PROFILES, Zeng,
                            ZengSettings)
from ..metrics import average_precision, hamming_map, precision_at_k, relevance_matrix
from ..protocols import protocol_for
from ..published import DSH_CIFAR10_MAP, ZENG_TARGETS
from ..report import ours_beside_paper, study_table
from ..search import hamming_distances

__all__ = ["PERCEPTUAL_BITS", "READINGS", "ABLATIONS", "perceptual_hashes", "combined_key", "combined_similarity",
           "combined_rank", "similarity_study", "changed_top", "network_rows", "ablation_runs", "ablation_rows",
           "ablation_summary", "ablation_text", "REGULARISATION", "ANNEALED", "LONG_RECIPES", "longer_recipe",
           "long_settings", "long_runs", "training_map", "long_rows", "LONG_FORMATS", "long_table", "long_text",
           "RECIPE_FORMATS", "recipe_table", "long_metric", "results_rows", "maps_text", "similarity_text",
           "timing_text", "TARGETS", "StudyPlan", "STUDY_PLANS", "study_plan", "reference_plan", "named_runs",
           "maps_table"]

PERCEPTUAL_BITS = 64
READINGS = ("similarity", "distance")
Reading = Literal["similarity", "distance"]
# Sec. 4.4 (one pooling method twice) and Sec. 4.5 (one stream) beside the paper's network
ABLATIONS = ("bilinear", "max-only", "avg-only", "traditional_net-A", "traditional_net-B")
# this book's targets for the paper's network at 48 bits on the zeng protocol (the paper prints curves only)
TARGETS = {name: values[48] for name, values in ZENG_TARGETS.items()}
# The long runs' stronger regularisation (fields of Recipe it overrides), for a network that
# fits its training set (training-set mAP 0.979 against 0.729 on the test queries after 50 epochs): the ranges of
# TensorFlow's CIFAR-10 tutorial, whose list (random crop, flip, brightness, contrast) is the paper's (Sec. 4.2):
# crops offset by up to 4 pixels either way (24 of 32 there), brightness and contrast factors in 1 +- 0.25 and
# 0.2-1.8; and decoupled weight decay 0.05 (AdamW, not in the paper)
REGULARISATION: dict[str, Any] = {"padding": 4, "brightness": 0.25, "contrast": 0.8, "optimizer": "adamw",
                                  "weight_decay": 0.05}
# the long runs' recipes by name (:func:`long_settings`): fields of Recipe each overrides on the paper profile's
# (learning rate 1e-3, crops offset by up to 2 pixels, flips, brightness and contrast 1 +- 0.2, Adam)
# the profile's recipe with the learning rate annealed to zero along a cosine over the whole run instead of the
# paper's one halving (not in the paper): does the network generalise better when training ends at a small rate?
ANNEALED: dict[str, Any] = {"schedule": "cosine", "step_iterations": None}
LONG_RECIPES: dict[str, dict[str, Any]] = {"profile's": {}, "regularised": REGULARISATION,
                                           "paper's learning rate": {"lr": PAPER_LR}, "annealed": ANNEALED}
# the datasets the paper trains on (:func:`longer_recipe` counts its iterations): this book's name -> the official one
_PAPER_DATASETS = {"cifar10": "cifar10", "mnist": "mnist", "mnist5k": "mnist"}


@dataclass(frozen=True)
class StudyPlan:
    """The chapter's studies beyond the main runs: the ablations' ``seeds`` and ``code_lengths`` (Secs. 4.4-4.5;
    ``None``: the longest code length of the plan's first dataset) and the 50-epoch runs' ``long_epochs`` (0:
    none)."""

    seeds: tuple[int, ...] = (0, 1)
    code_lengths: tuple[int, ...] | None = (12, 48)
    long_epochs: int = PAPER_EPOCHS

    def __post_init__(self) -> None:
        if not self.seeds or any(isinstance(seed, bool) or not isinstance(seed, int) for seed in self.seeds):
            raise ValueError(f"StudyPlan.seeds must be one or more integer seeds, e.g. (0, 1), got {self.seeds!r}")
        if self.code_lengths is not None and (not self.code_lengths or any(
                isinstance(bits, bool) or not isinstance(bits, int) or bits < 1 for bits in self.code_lengths)):
            raise ValueError(f"StudyPlan.code_lengths must be positive integers, e.g. (12, 48), or None, "
                             f"got {self.code_lengths!r}")
        if isinstance(self.long_epochs, bool) or not isinstance(self.long_epochs, int) or self.long_epochs < 0:
            raise ValueError(f"StudyPlan.long_epochs must be an integer >= 0 (0: no long runs), "
                             f"got {self.long_epochs!r}")


# each profile's studies (:func:`study_plan`): smoke keeps nbval inside a minute, long leaves the 50-epoch runs to
# its main runs (which are already the paper's network and epochs)
STUDY_PLANS: dict[str, StudyPlan] = {"smoke": StudyPlan(seeds=(0,), code_lengths=None, long_epochs=4),
                                     "paper": StudyPlan(), "long": StudyPlan(long_epochs=0)}


def study_plan(profile: str, plan: Mapping[str, ZengSettings], *, seeds=None, code_lengths=None,
               long_epochs: int | None = None) -> StudyPlan:
    """The profile's :class:`StudyPlan` (:data:`STUDY_PLANS`) with the notebook's parameters that are not
    ``None`` in place of its values; the code lengths resolved against ``plan`` (its first dataset's longest)."""
    if profile not in STUDY_PLANS:
        raise ValueError(f"profile must be one of {sorted(STUDY_PLANS)}, got {profile!r}")
    chosen = STUDY_PLANS[profile]
    given = {"seeds": None if seeds is None else tuple(seeds),
             "code_lengths": None if code_lengths is None else tuple(code_lengths), "long_epochs": long_epochs}
    chosen = replace(chosen, **{field: value for field, value in given.items() if value is not None})
    if chosen.code_lengths is None:
        chosen = replace(chosen, code_lengths=(max(next(iter(plan.values())).code_lengths),))
    return chosen


def perceptual_hashes(images: Any, *, progress: bool = True) -> PackedCodes:
    """``imagehash.phash`` of every image: ``images`` (n, C, H, W) uint8 (a tensor or an array) -> packed
    64-bit codes (n rows). Colour images are converted to grey levels by imagehash (PIL's ``L`` mode)."""
    import imagehash
    from PIL import Image
    from tqdm import tqdm

    pixels = np.asarray(images.numpy() if hasattr(images, "numpy") else images)
    if pixels.ndim != 4 or pixels.dtype != np.uint8 or pixels.shape[1] not in (1, 3):
        raise ValueError(f"images must be (n, 1 or 3, H, W) uint8, got {pixels.shape} {pixels.dtype}")
    bits = np.empty((len(pixels), PERCEPTUAL_BITS), dtype=np.uint8)
    for row, image in enumerate(tqdm(pixels, desc="perceptual hashes", disable=not progress, mininterval=2)):
        picture = Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0))
        bits[row] = imagehash.phash(picture).hash.reshape(-1)
    return pack(bits)


def _check_reading(reading: str) -> None:
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {READINGS} (see hashlib_core.studies.zeng), got {reading!r}")


def combined_key(code_distances: np.ndarray, perceptual_distances: np.ndarray, bits: int,
                 reading: Reading = "similarity") -> np.ndarray:
    """Eq. 3 as an integer ranking key (lower ranks first) from the network codes' Hamming distances (0..bits)
    and the perceptual hashes' (0..64), same shapes; see the module docstring for the two readings."""
    _check_reading(reading)
    code = np.asarray(code_distances, dtype=np.int64)
    clipped = np.maximum(code, 1) if reading == "similarity" else np.minimum(code, bits - 1)
    return clipped * PERCEPTUAL_BITS + np.asarray(perceptual_distances, dtype=np.int64)


def combined_similarity(code_distances: np.ndarray, perceptual_distances: np.ndarray, bits: int,
                        reading: Reading = "similarity") -> np.ndarray:
    """Eq. 3's value: in [0, 1], higher is more similar for ``"similarity"``, lower for ``"distance"``."""
    _check_reading(reading)
    code = np.asarray(code_distances, dtype=np.float64)
    visual = np.asarray(perceptual_distances, dtype=np.float64) / PERCEPTUAL_BITS
    if reading == "similarity":
        semantic, visual, special = 1 - code / bits, 1 - visual, code == 0
    else:
        semantic, special = code / bits, code == bits
    return np.where(special, (bits - 1) / bits, semantic) + visual / bits


def combined_rank(query_codes: Any, database_codes: Any, query_hashes: Any, database_hashes: Any, *,
                  reading: Reading = "similarity") -> np.ndarray:
    """Rank the whole database for each query by Eq. 3: ``(n_queries, n_database)`` int64 database indices,
    best first, ties by database index."""
    queries, database = as_packed(query_codes, "query_codes"), as_packed(database_codes, "database_codes")
    visual = hamming_distances(as_packed(query_hashes, "query_hashes"), as_packed(database_hashes, "database_hashes"))
    key = combined_key(hamming_distances(queries, database), visual, queries.n_bits, reading)
    return np.argsort(key, axis=1, kind="stable")


def _scores(ranking: np.ndarray, relevant: np.ndarray, visual: np.ndarray, top: int) -> dict[str, float]:
    ranked = np.take_along_axis(relevant, ranking, axis=1)
    nearest = np.take_along_axis(visual, ranking[:, :top], axis=1)
    return {"mAP": float(average_precision(ranked).mean()), f"precision@{top}": float(precision_at_k(ranked, [top])[0]),
            f"perceptual distance of the top {top}": float(nearest.mean())}


def similarity_study(run: MethodRun, hashes: PackedCodes, bits: int, *, top: int = 10) -> list[dict]:
    """Hamming ranking of the method's codes against Eq. 3 in both readings, on the run's protocol: mAP (full
    ranking), precision@``top`` and the mean perceptual-hash distance of the ``top`` results (how *visually*
    close they are). ``hashes``: :func:`perceptual_hashes` of every image of the run's dataset."""
    name = run.method.name
    queries, database = run.part_codes(name, bits, "query"), run.part_codes(name, bits, "database")
    query_hashes, database_hashes = run.part_codes_of(hashes, "query"), run.part_codes_of(hashes, "database")
    relevant = relevance_matrix(run.part_labels("query"), run.part_labels("database"))
    visual = hamming_distances(query_hashes, database_hashes)
    hamming = np.argsort(hamming_distances(queries, database), axis=1, kind="stable")
    rows = [{"ranking": "Hamming distance (ties by index)", "bits": bits, **_scores(hamming, relevant, visual, top)}]
    for reading in READINGS:
        ranking = combined_rank(queries, database, query_hashes, database_hashes, reading=reading)
        rows.append({"ranking": f"Eq. 3, s read as a {reading}", "bits": bits,
                     **_scores(ranking, relevant, visual, top)})
    return rows


def changed_top(run: MethodRun, hashes: PackedCodes, bits: int, *, count: int = 4, top: int = 10,
                reading: Reading = "similarity") -> dict[str, Any]:
    """The first ``count`` queries whose top ``top`` differs between Hamming ranking and Eq. 3 (``reading``):
    their dataset indices (``query``) and, per ranking name, the dataset indices of their top lists
    (``rankings``: (count, top) each), as :func:`hashlib_core.plots.ranking_grids` draws them."""
    name = run.method.name
    queries, database = run.part_codes(name, bits, "query"), run.part_codes(name, bits, "database")
    hamming = np.argsort(hamming_distances(queries, database), axis=1, kind="stable")[:, :top]
    combined = combined_rank(queries, database, run.part_codes_of(hashes, "query"),
                             run.part_codes_of(hashes, "database"), reading=reading)[:, :top]
    changed = np.flatnonzero((hamming != combined).any(axis=1))[:count]
    return {"query": run.protocol.query[changed],
            "rankings": {"Hamming ranking": run.protocol.database[hamming[changed]],
                         f"Eq. 3 (s as a {reading})": run.protocol.database[combined[changed]]}}


def network_rows(dataset: ImageDataset, settings: ZengSettings, bits: int = 48,
                 networks: tuple[str, ...] = (*ABLATIONS, "dsh")) -> list[dict]:
    """Parameters and streams of each network for the dataset's image shape."""
    rows = []
    for network in networks:
        method = Zeng(network)
        model = method.build_network(dataset, bits, settings)
        rows.append({"network": method.name, "streams": getattr(model, "streams", 1),
                     "parameters": sum(parameter.numel() for parameter in model.parameters())})
    return rows


def _epochs(run: MethodRun, bits: int | None = None) -> list[dict]:
    """The per-epoch history of the run's network at ``bits`` (None: of every network)."""
    networks = run.networks.values() if bits is None else [run.networks[bits]]
    return [entry for network in networks for entry in network.history]


def _training_minutes(run: MethodRun, bits: int | None = None) -> float:
    return sum(entry["seconds"] for entry in _epochs(run, bits)) / 60


def _images_per_second(run: MethodRun, bits: int | None = None) -> float:
    return float(np.median([entry["images_per_second"] for entry in _epochs(run, bits)]))


def ablation_runs(dataset: ImageDataset, settings: ZengSettings, *, networks: tuple[str, ...] = ABLATIONS,
                  seeds: tuple[int, ...] = (0, 1), code_lengths: tuple[int, ...] = (12, 48),
                  done: Mapping[tuple[str, int], MethodRun] | None = None, device: str | torch.device = "auto",
                  checkpoints: bool = True, progress: bool = True) -> dict[tuple[str, int], MethodRun]:
    """Every network of ``networks`` at every seed (the seed draws the initialisation, the batch order and the
    query split), on ``settings`` narrowed to ``code_lengths`` and without baselines; ``done`` supplies runs
    already made (e.g. the main run at seed 0, if it trained those code lengths)."""
    narrowed = replace(settings, code_lengths=tuple(code_lengths), baselines=())
    runs = {}
    for network in networks:
        for seed in seeds:
            given = (done or {}).get((network, seed))
            if given is not None and set(code_lengths) <= set(given.settings.code_lengths):
                runs[(network, seed)] = given
                continue
            runs[(network, seed)] = run_method(Zeng(network), dataset, narrowed, seed=seed, device=device,
                                               checkpoints=checkpoints, progress=progress)
    return runs


def ablation_rows(runs: Mapping[tuple[str, int], MethodRun], code_lengths: tuple[int, ...] = (12, 48)) -> list[dict]:
    """One row per network, seed and code length: the headline mAP and the training minutes."""
    rows = []
    for (network, seed), run in runs.items():
        for bits in code_lengths:
            rows.append({"network": run.method.name, "seed": seed, "bits": bits,
                         "mAP": run.headline(run.method.name, bits), "training minutes": _training_minutes(run, bits)})
    return rows


def ablation_summary(rows: list[dict]) -> pd.DataFrame:
    """Mean, lowest and highest mAP over seeds per network and code length."""
    frame = pd.DataFrame(rows)
    return frame.groupby(["network", "bits"], sort=False)["mAP"].agg(["mean", "min", "max", "count"]).rename(
        columns={"count": "seeds"})


def _beats(summary: pd.DataFrame, better: str, worse: str, bits: int) -> str:
    high, low = summary.loc[(better, bits)], summary.loc[(worse, bits)]
    if min(high["seeds"], low["seeds"]) < 2:
        return ("yes" if high["mean"] > low["mean"] else "no, reversed") + " (one seed: no spread to judge it by)"
    if high["min"] > low["max"]:
        return "yes, beyond seed noise (every seed of one above every seed of the other)"
    if high["mean"] > low["mean"]:
        return "on average only, within seed noise"
    return "no, reversed on average"


def ablation_text(rows: list[dict]) -> str:
    """Whether the paper's orderings (Secs. 4.4-4.5: both poolings above max-only above average-only; the
    bilinear network above traditional_net-B above traditional_net-A) hold at each code length, and how firmly."""
    summary = ablation_summary(rows)
    names = {network: Zeng(network).name for network in ABLATIONS}
    present = {name for name, _ in summary.index}
    lines = []
    for bits in sorted({bits for _, bits in summary.index}):
        order = summary.xs(bits, level="bits")["mean"].sort_values(ascending=False)
        ranked = ", ".join(f"{name} {value:.3f}" for name, value in order.items())
        lines.append(f"* {bits} bits, mean mAP over seeds: {ranked}.")
        for better, worse in (("bilinear", "max-only"), ("max-only", "avg-only"), ("bilinear", "traditional_net-B"),
                              ("traditional_net-B", "traditional_net-A")):
            if names[better] in present and names[worse] in present:
                verdict = _beats(summary, names[better], names[worse], bits)
                lines.append(f"  {names[better]} above {names[worse]}: {verdict}.")
    return "\n".join(lines)


def longer_recipe(settings: ZengSettings, epochs: int, *, dataset: str = "cifar10",
                  training_images: int | None = None) -> ZengSettings:
    """``settings`` trained for ``epochs``, the paper's single halving of the learning rate (after 20,000
    iterations of its 50 epochs) kept at the same fraction of the run: 20,000 of 25,000 iterations on CIFAR-10
    (4/5), 20,000 of 30,000 on MNIST (2/3), counted on the official training split of ``dataset`` (``"cifar10"``,
    ``"mnist"``; ``"mnist5k"`` counts as MNIST). ``training_images``: the images this run trains on (default:
    the official count; fewer, e.g. a partial split, give fewer iterations and an earlier halving)."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, e.g. 30, got {epochs!r}")
    official = _PAPER_DATASETS.get(dataset)
    if official is None:
        raise ValueError(f"dataset must be one of {sorted(_PAPER_DATASETS)} (the paper's), got {dataset!r}")
    batch = settings.recipe.batch_size
    images = OFFICIAL_SIZES[official][0] if training_images is None else training_images
    papers = OFFICIAL_SIZES[official][0] // PAPER_BATCH * PAPER_EPOCHS
    halving = max(1, round(ITERATIONS_PER_HALVING * (images // batch * epochs) / papers))
    return replace(settings, recipe=replace(settings.recipe, epochs=epochs, step_iterations=halving))


def _check_recipe(recipe: str) -> None:
    if recipe not in LONG_RECIPES:
        raise ValueError(f"recipe must be one of {sorted(LONG_RECIPES)}, got {recipe!r}")


def long_settings(settings: ZengSettings, epochs: int, *, table1_widths: bool = True,
                  precision: str = "bf16", recipe: str = "profile's", dataset: str = "cifar10",
                  training_images: int | None = None) -> ZengSettings:
    """The longer run's settings: ``settings`` trained for ``epochs`` on ``dataset``'s ``training_images``
    (:func:`longer_recipe`) under ``precision``; with ``table1_widths`` the paper's network as Table 1 reads (32
    filters per stream, fusion 512, FC 1,000: the ``long`` profile's widths) instead of the profile's narrower
    streams; ``recipe`` names the entry of :data:`LONG_RECIPES` whose fields replace the profile's
    (``"regularised"``: :data:`REGULARISATION`; ``"paper's learning rate"``: 1e-4; ``"annealed"``:
    :data:`ANNEALED`)."""
    _check_recipe(recipe)
    if table1_widths:
        table1 = PROFILES["long"]["cifar10"]
        settings = replace(settings, widths=table1.widths, fusion_width=table1.fusion_width, fc_width=table1.fc_width)
    longer = longer_recipe(settings, epochs, dataset=dataset, training_images=training_images)
    options = {"precision": precision, **LONG_RECIPES[recipe]}
    return replace(longer, recipe=replace(longer.recipe, **options))


def long_runs(dataset: ImageDataset, settings: ZengSettings, epochs: int, *, bits: int = 48,
              networks: tuple[str, ...] = ("bilinear", "dsh"), recipes: tuple[str, ...] = ("profile's",),
              table1_widths: bool = True, precision: str = "bf16", seed: int = 0,
              device: str | torch.device = "auto", checkpoints: bool = True,
              progress: bool = True) -> dict[tuple[str, str], MethodRun]:
    """Each of ``networks`` trained for ``epochs`` at one code length ``bits`` (:func:`long_settings`), without
    baselines, once per name in ``recipes`` (:data:`LONG_RECIPES`; the others than the profile's as
    ``benchmarks/zeng_long_recipes.py`` trains them): how far the chapter's short training of its narrow networks
    is from what the paper's network reaches with the paper's epochs. Keyed by (network, recipe);
    ``epochs`` 0: none, an empty dict."""
    for recipe in recipes:
        _check_recipe(recipe)
    if epochs == 0:
        return {}
    training_images = len(protocol_for(dataset, settings.protocol, seed=seed, **settings.protocol_options).train)
    runs = {}
    for recipe in recipes:
        longer = replace(long_settings(settings, epochs, table1_widths=table1_widths, precision=precision,
                                       recipe=recipe, dataset=dataset.name, training_images=training_images),
                         code_lengths=(bits,), baselines=())
        for network in networks:
            runs[(network, recipe)] = run_method(Zeng(network), dataset, longer, seed=seed, device=device,
                                                 checkpoints=checkpoints, progress=progress)
    return runs


def training_map(run: MethodRun, bits: int, queries: int = 1000, seed: int = 0) -> float:
    """mAP of ``queries`` training images drawn at random (``seed``) against the rest of the training set, with
    the codes of ``run``'s method: what the network learned of the images it trained on, beside the test mAP."""
    train = run.protocol.train
    chosen = np.random.default_rng(seed).permutation(len(train))
    asked, rest = train[chosen[:queries]], train[chosen[queries:]]
    if len(asked) == 0 or len(rest) == 0:
        raise ValueError(f"need more than {queries} training images for {queries} queries, got {len(train)}")
    codes, labels = run.codes[(run.method.name, bits)], run.labels
    return hamming_map(codes[asked], codes[rest], labels[asked], labels[rest])


def long_rows(long: Mapping[tuple[str, str], MethodRun], main: Mapping[str, MethodRun], bits: int = 48) -> list[dict]:
    """mAP after the chapter's epochs (``main``: network -> its main run) against after the longer training, per
    long run (:func:`long_runs`): its dataset, recipe, widths (streams, fusion, FC; None for DSH's network),
    training-set mAP (:func:`training_map`), training minutes and images/s."""
    rows = []
    for (network, recipe), run in long.items():
        name, short = run.method.name, main.get(network)
        widths = (None if Zeng(network).branches is None else
                  f"{'/'.join(map(str, run.settings.widths))}, {run.settings.fusion_width}, {run.settings.fc_width}")
        rows.append({"dataset": run.dataset.name, "network": name, "recipe": recipe, "bits": bits,
                     "widths (long)": widths,
                     "epochs (chapter)": short.settings.recipe.epochs if short is not None else None,
                     "mAP (chapter)": short.headline(name, bits) if short is not None else None,
                     "epochs (long)": run.settings.recipe.epochs, "mAP (long)": run.headline(name, bits),
                     "training-set mAP (long)": training_map(run, bits),
                     "training minutes (long)": _training_minutes(run, bits),
                     "images/s": _images_per_second(run, bits)})
    return rows


LONG_FORMATS = {"mAP (chapter)": "{:.3f}", "mAP (long)": "{:.3f}", "training-set mAP (long)": "{:.3f}",
                "training minutes (long)": "{:.1f}", "images/s": "{:.0f}"}


def long_table(rows: list[dict]):
    """:func:`long_rows` styled for display, without the columns that hold one value when every row shares its
    dataset, code length or recipe (the section's heading and text say them); None without rows."""
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    frame = frame.drop(columns=[name for name in ("dataset", "bits", "recipe") if frame[name].nunique() == 1])
    return frame.style.format(LONG_FORMATS, na_rep="-").hide(axis="index")


def long_text(rows: list[dict], targets: Mapping[str, float] | None = None) -> str:
    """Per dataset: what the longer training buys each network under each recipe, how much better each fits its
    training set, and whether the paper network's target (``targets[dataset]``) is met after it."""
    if not rows:
        return "No longer training in this run (`long_epochs` = 0)."
    lines = []
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        chosen = [row for row in rows if row["dataset"] == dataset]
        parts = []
        for row in chosen:
            text = (f"{row['network']} with the {row['recipe']} recipe {row['mAP (long)']:.3f} after "
                    f"{row['epochs (long)']} epochs")
            if row["mAP (chapter)"] is not None:
                gain = row["mAP (long)"] - row["mAP (chapter)"]
                text += f" (the chapter's run {row['mAP (chapter)']:.3f} after {row['epochs (chapter)']}, {gain:+.3f})"
            parts.append(text + f", {row['training-set mAP (long)']:.3f} on its training set, "
                                f"{row['training minutes (long)']:.0f} training minutes")
        text = f"* **{dataset}**, {chosen[0]['bits']} bits: " + "; ".join(parts) + "."
        papers = [row for row in chosen if row["network"] == Zeng().name]
        target = (targets or {}).get(dataset)
        if target is not None and papers:
            verdicts = [f"{'met' if row['mAP (long)'] >= target else '**not met**'} with the {row['recipe']} "
                        f"recipe ({row['mAP (long)']:.3f} after {row['epochs (long)']} epochs)" for row in papers]
            text += f" The book's target for the paper's network, {target:.2f}, is " + " and ".join(verdicts) + "."
        lines.append(text)
    return "\n".join(lines)


# the columns of benchmarks/zeng_long_recipes.py's and zeng_widths.py's results files, as the chapter shows them
RECIPE_FORMATS: dict[str, Any] = {"mAP": "{:.3f}", "training-set mAP": "{:.3f}", "training minutes": "{:.1f}",
                                  "images/s": "{:.0f}", "parameters": "{:,}", "learning rate": "{:g}",
                                  "final training loss": "{:.3f}",
                                  "widths": lambda widths: "/".join(map(str, widths[:-2])) + ", "
                                                           + ", ".join(f"{width:,}" for width in widths[-2:])}


def recipe_table(name: str, *, drop: tuple[str, ...] = ()):
    """The committed results file ``results/zeng/<name>.json`` of a Zeng benchmark (``zeng_long_recipes.py``,
    ``zeng_widths.py``, ``zeng_learning_rate.py``) styled for display (widths as streams, fusion, FC), without its
    recipe and epochs where it has them (the text around it says them) and the columns in ``drop``; None (and a
    printed note) if this checkout lacks the file."""
    return study_table("zeng", name, RECIPE_FORMATS, drop=drop, drop_if_present=("recipe", "epochs"))


def long_metric(recipe: str) -> str:
    """The results-file name of a long run's mAP for its recipe (a name in :data:`LONG_RECIPES`)."""
    return "mAP (longer training)" if recipe == "profile's" else f"mAP (longer training, {recipe})"


def results_rows(reference_runs: Mapping[str, MethodRun], first: str, ablation: list[dict], similarity: pd.DataFrame,
                 long: list[dict]) -> dict[str, list[dict]]:
    """The chapter's rows for the results files beyond the main run's: per dataset the reference network's (DSH)
    rows and the longer training (:func:`long_rows`, each row to its dataset's file); for the ``first`` dataset
    also the ablations (:func:`ablation_rows`) and the similarity study (:func:`similarity_study` as a frame)."""
    rows = {name: run.rows() for name, run in reference_runs.items()}
    rows.setdefault(first, [])
    rows[first] += [{"name": "ablation mAP", "method": row["network"], "bits": row["bits"], "seed": row["seed"],
                     "value": row["mAP"], "minutes": row["training minutes"]} for row in ablation]
    rows[first] += [{"name": f"similarity: {key}", "method": row["ranking"], "bits": row["bits"], "value": row[key]}
                    for row in similarity.to_dict("records") for key in row if key not in ("ranking", "bits")]
    for row in long:
        rows.setdefault(row["dataset"], []).append(
            {"name": long_metric(row["recipe"]), "method": row["network"], "bits": row["bits"],
             "value": row["mAP (long)"], "training_set_map": row["training-set mAP (long)"],
             "epochs": row["epochs (long)"], "minutes": row["training minutes (long)"]})
    return rows


def reference_plan(plan: Mapping[str, ZengSettings]) -> dict[str, ZengSettings]:
    """The plan for DSH's network trained beside the paper's: the same settings without the baselines (the
    paper's network's runs already hold them)."""
    return {name: replace(settings, baselines=()) for name, settings in plan.items()}


def named_runs(runs: Mapping[str, MethodRun], reference_runs: Mapping[str, MethodRun]) -> dict[str, MethodRun]:
    """The paper's network's runs and DSH's network's (named ``<dataset> (DSH network)``) in one mapping, e.g. for
    :func:`hashlib_core.report.training_frame`."""
    return {**runs, **{f"{name} (DSH network)": run for name, run in reference_runs.items()}}


def maps_table(runs: Mapping[str, MethodRun], reference_runs: Mapping[str, MethodRun]) -> pd.DataFrame:
    """mAP against code length (Fig. 8): the paper's network and the baselines with the DSH paper's own CIFAR-10
    numbers quoted beside DSH's network (:data:`hashlib_core.published.DSH_CIFAR10_MAP`; its protocol differs),
    and DSH's network trained here, grouped by dataset."""
    frames = [ours_beside_paper(runs, {"cifar10": {"DSH network": DSH_CIFAR10_MAP}}, source="DSH paper (quoted)")]
    if reference_runs:
        frames.append(ours_beside_paper(reference_runs, {}))
    return pd.concat(frames).sort_index(level=0, sort_remaining=False)


def maps_text(runs: Mapping[str, MethodRun], reference_runs: Mapping[str, MethodRun] | None = None,
              targets: Mapping[str, float] | None = None, bits: int = 48) -> str:
    """Per dataset: the method's mAP at every code length, the reference network's (the DSH network) and the
    best baseline at ``bits``, and whether ``targets[dataset]`` is met at ``bits``."""
    lines = []
    for name, run in runs.items():
        method, lengths = run.method.name, list(run.settings.code_lengths)
        values = " / ".join(f"{run.headline(method, length):.3f}" for length in lengths)
        text = f"* **{name}**: {method} {values} at {'/'.join(map(str, lengths))} bits"
        reference = (reference_runs or {}).get(name)
        if reference is not None:
            other = reference.method.name
            text += (f"; {other} " + " / ".join(f"{reference.headline(other, length):.3f}"
                                                for length in reference.settings.code_lengths))
        shown = bits if bits in lengths else max(lengths)
        baselines = [baseline.label for baseline in run.settings.baselines]
        if baselines:
            best = max(baselines, key=lambda label: run.headline(label, shown))
            text += f"; best baseline at {shown} bits {best} {run.headline(best, shown):.3f}"
        target = (targets or {}).get(name)
        if target is not None and shown == bits:
            value = run.headline(method, bits)
            verdict = "met" if value >= target else f"**not met** ({value:.3f})"
            text += f". Target at {bits} bits: {target:.2f}, {verdict}"
        lines.append(text + ".")
    return "\n".join(lines)


def similarity_text(rows) -> str:
    """What Eq. 3 changes against Hamming ranking, in both readings: mAP and the top's perceptual distance."""
    frame = pd.DataFrame(rows).set_index("ranking")
    hamming = frame.iloc[0]
    visual = next(column for column in frame.columns if column.startswith("perceptual distance"))
    parts = []
    for ranking, row in frame.iloc[1:].iterrows():
        parts.append(f"{ranking}: mAP {row['mAP']:.4f} ({row['mAP'] - hamming['mAP']:+.4f}), {visual} "
                     f"{row[visual]:.1f} bits ({row[visual] - hamming[visual]:+.1f})")
    return (f"Against Hamming ranking (mAP {hamming['mAP']:.4f}, {visual} {hamming[visual]:.1f} of 64 bits): "
            + "; ".join(parts) + ". The perceptual term reorders images that share a code distance, so it "
            "moves mAP little; what it buys is visually closer images at the top, as in the paper's Fig. 7, "
            "but in grey-level structure, not in colour.")


def timing_text(runs: Mapping[str, MethodRun], reference_runs: Mapping[str, MethodRun],
                ablations: Mapping[tuple[str, int], MethodRun]) -> str:
    """Training minutes (as recorded per epoch) of the method, the reference network and the ablations, and the
    median training images/s of each network."""
    minutes, speed = _training_minutes, _images_per_second
    parts = [f"{name}: {run.method.name} {minutes(run):.1f} training minutes ({speed(run):,.0f} images/s per "
             f"process), {reference_runs[name].method.name} {minutes(reference_runs[name]):.1f} "
             f"({speed(reference_runs[name]):,.0f} images/s), wall {sum(run.stages.values()) / 60:.1f} minutes "
             "for the main run with its baselines" for name, run in runs.items() if name in reference_runs]
    extra = [run for key, run in ablations.items() if all(run is not main for main in runs.values())]
    if extra:
        parts.append(f"ablations: {sum(minutes(run) for run in extra):.1f} training minutes over {len(extra)} runs")
    return "; ".join(parts) + "."
