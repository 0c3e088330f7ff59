"""Zeng et al.'s network trained for the paper's 50 epochs at one code length, under several recipes.

Introduced in the Zeng chapter (:mod:`hashlib_core.studies.zeng` re-exports it). The chapter's main runs train
narrow networks for a few epochs; these runs train the paper's network (Table 1 read as 32 filters per stream, or
another reading) with the paper's epochs and its one halving of the learning rate at the same fraction of the run,
under the profile's recipe or one of :data:`LONG_RECIPES`, and report test mAP beside training-set mAP (is the
network overfitting?). ``benchmarks/zeng_long_recipes.py``, ``zeng_widths.py`` and ``zeng_learning_rate.py``
write the results files that :func:`recipe_table` shows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch

from ..data import OFFICIAL_SIZES, ImageDataset
from ..experiment import MethodRun, run_method
from ..methods.zeng import ITERATIONS_PER_HALVING, PAPER_BATCH, PAPER_EPOCHS, PAPER_LR, PROFILES, Zeng, ZengSettings
from ..metrics import hamming_map
from ..protocols import protocol_for
from ..report import study_table

__all__ = ["REGULARISATION", "ANNEALED", "LONG_RECIPES", "longer_recipe", "long_settings", "long_runs", "training_map",
           "training_minutes", "images_per_second", "long_rows", "LONG_FORMATS", "long_table", "long_text",
           "RECIPE_FORMATS", "recipe_table", "long_metric"]

# The long runs' stronger regularisation (fields of Recipe it overrides), for a network that
# fits its training set (training-set mAP 0.979 against 0.729 on the test queries after 50 epochs): the ranges of
# TensorFlow's CIFAR-10 tutorial, whose list (random crop, flip, brightness, contrast) is the paper's (Sec. 4.2):
# crops offset by up to 4 pixels either way (24 of 32 there), brightness and contrast factors in 1 +- 0.25 and
# 0.2-1.8; and decoupled weight decay 0.05 (AdamW, not in the paper)
REGULARISATION: dict[str, Any] = {"padding": 4, "brightness": 0.25, "contrast": 0.8, "optimizer": "adamw",
                                  "weight_decay": 0.05}
# the profile's recipe with the learning rate annealed to zero along a cosine over the whole run instead of the
# paper's one halving (not in the paper): does the network generalise better when training ends at a small rate?
ANNEALED: dict[str, Any] = {"schedule": "cosine", "step_iterations": None}
# the long runs' recipes by name (:func:`long_settings`): fields of Recipe each overrides on the paper profile's
# (learning rate 1e-3, crops offset by up to 2 pixels, flips, brightness and contrast 1 +- 0.2, Adam)
LONG_RECIPES: dict[str, dict[str, Any]] = {"profile's": {}, "regularised": REGULARISATION,
                                           "paper's learning rate": {"lr": PAPER_LR}, "annealed": ANNEALED}
# the datasets the paper trains on (:func:`longer_recipe` counts its iterations): this book's name -> the official one
_PAPER_DATASETS = {"cifar10": "cifar10", "mnist": "mnist", "mnist5k": "mnist"}


def _epochs(run: MethodRun, bits: int | None = None) -> list[dict]:
    """The per-epoch history of the run's network at ``bits`` (None: of every network)."""
    networks = run.networks.values() if bits is None else [run.networks[bits]]
    return [entry for network in networks for entry in network.history]


def training_minutes(run: MethodRun, bits: int | None = None) -> float:
    """Training minutes of the run's network at ``bits`` (None: of all its networks), as recorded per epoch."""
    return sum(entry["seconds"] for entry in _epochs(run, bits)) / 60


def images_per_second(run: MethodRun, bits: int | None = None) -> float:
    """Median training images/s over the epochs of the run's network at ``bits`` (None: of all its networks)."""
    return float(np.median([entry["images_per_second"] for entry in _epochs(run, bits)]))


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
                     "training minutes (long)": training_minutes(run, bits),
                     "images/s": images_per_second(run, bits)})
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
