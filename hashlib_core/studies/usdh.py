"""The USDH chapter's studies: which teacher, how spread its similarities are, Tables 3-5.

Introduced in the USDH chapter:

* :func:`teacher_rows`: candidate teachers judged by their own retrieval
  (mAP@1000 of Euclidean and cosine ranking of their features on the run's
  protocol), the table the teacher is picked from;
* :func:`similarity_rows`: the spread of Eq. 2's S over random training pairs,
  as printed and calibrated, per rho;
* :func:`variant_runs` (Table 3: DeepBit, DeepBit + semantic loss, USDH) and
  :func:`rho_runs` (Table 4) on the same teacher and protocol;
* :func:`flowers_rows` (Table 5): Oxford-17 classification with a linear SVM
  on hand-made descriptors, the teacher's features and 64-bit codes, over
  seeded 40 / 20 splits, mean and spread, with the SVM's training seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
import torch

from ..data import ImageDataset
from ..experiment import MethodRun, run_method, train_network
from ..features import dataset_features
from ..losses import teacher_similarity
from ..methods.usdh import USDH, UsdhSettings, calibrated_teacher
from ..metrics import average_precision
from ..protocols import Protocol, protocol_for
from ..search import feature_rank

__all__ = ["feature_map", "teacher_rows", "similarity_rows", "variant_runs", "rho_runs", "RHOS", "flowers_rows",
           "FLOWER_FEATURES", "FlowerRecipe", "FLOWER_RECIPE", "flower_codes", "svm_accuracy", "results_rows",
           "TABLE5_MEAN"]

RHOS = (1.0, 0.5, 0.25, 0.125)  # Table 4
TABLE5_MEAN = "table 5 accuracy (mean over splits)"  # results rows the front page's scoreboard reads
# Table 5's descriptors computed here: (feature kind, name in the table)
FLOWER_FEATURES = (("hsv-histogram", "HSV histogram"), ("lbp", "LBP texture"), ("hog", "HOG"),
                   ("gist512", "GIST-512"))


def feature_map(features: np.ndarray, protocol: Protocol, labels: np.ndarray, depth: int = 1000,
                metric: str = "euclidean") -> float:
    """mAP@``depth`` of exhaustive ranking on real-valued ``features`` (every image) for the protocol's queries
    against its database."""
    ranked, _ = feature_rank(features[protocol.query], features[protocol.database], depth, metric=metric)
    relevant = labels[protocol.database][ranked] == labels[protocol.query][:, None]
    return float(average_precision(relevant, depth).mean())


def teacher_rows(dataset: ImageDataset, protocol: Protocol, kinds: tuple[str, ...], *, depth: int = 1000,
                 progress: bool = True) -> list[dict]:
    """One row per candidate teacher (a feature kind): its dimension, the seconds to compute it (0 when cached)
    and the mAP@``depth`` of Euclidean and cosine ranking of its features."""
    labels = dataset.labels.numpy()
    rows = []
    for kind in kinds:
        features, seconds = dataset_features(dataset, kind, progress=progress)
        rows.append({"teacher": kind, "dimensions": features.shape[1], "seconds": seconds,
                     **{f"mAP@{depth} ({metric})": feature_map(features, protocol, labels, depth, metric)
                        for metric in ("euclidean", "cosine")}})
    return rows


def similarity_rows(features: np.ndarray, rhos: tuple[float, ...] = RHOS, *, images: int = 1000,
                    seed: int = 0) -> list[dict]:
    """Quantiles of S (Eq. 2) over the pairs of ``images`` random rows of ``features`` (standardised per
    dimension), as printed and after :func:`calibrated_teacher`, for each rho."""
    rng = np.random.default_rng(seed)
    chosen = torch.from_numpy(features[rng.choice(len(features), min(images, len(features)), replace=False)])
    standardised = (chosen - chosen.mean(dim=0)) / chosen.std(dim=0).clamp_min(1e-6)
    upper = torch.triu_indices(len(chosen), len(chosen), offset=1)
    rows = []
    for scale, values in (("as printed", standardised), ("calibrated", calibrated_teacher(standardised, seed=seed))):
        for rho in rhos:
            similarity = teacher_similarity(values, rho)[upper[0], upper[1]]
            quantiles = torch.quantile(similarity, torch.tensor([0.05, 0.5, 0.95])).tolist()
            rows.append({"teacher scale": scale, "rho": rho, "S 5 %": quantiles[0], "S median": quantiles[1],
                         "S 95 %": quantiles[2]})
    return rows


def variant_runs(dataset: ImageDataset, settings: UsdhSettings, *, lengths: tuple[int, ...] = (32,),
                 done: Mapping[str, MethodRun] | None = None, seed: int = 0, device: str | torch.device = "auto",
                 checkpoints: bool = True, progress: bool = True) -> dict[str, MethodRun]:
    """Table 3: DeepBit, DeepBit + the semantic loss and USDH at each of ``lengths`` on the same teacher, no
    baselines (``done`` supplies runs already made that hold every length, e.g. the main USDH run)."""
    narrowed = replace(settings, code_lengths=tuple(lengths), baselines=())
    runs = dict(done or {})
    for losses in ("deepbit", "deepbit+semantic", "usdh"):
        if losses not in runs:
            runs[losses] = run_method(USDH(losses), dataset, narrowed, seed=seed, device=device,
                                      checkpoints=checkpoints, progress=progress)
    return runs


def rho_runs(dataset: ImageDataset, settings: UsdhSettings, *, bits: int = 64, rhos: tuple[float, ...] = RHOS,
             done: Mapping[float, MethodRun] | None = None, seed: int = 0, device: str | torch.device = "auto",
             checkpoints: bool = True, progress: bool = True) -> dict[float, MethodRun]:
    """Table 4: USDH at ``bits`` for each rho, no baselines (``done``: runs already made, by rho)."""
    runs = dict(done or {})
    for rho in rhos:
        if rho not in runs:
            runs[rho] = run_method(USDH(), dataset, replace(settings, code_lengths=(bits,), baselines=(), rho=rho),
                                   seed=seed, device=device, checkpoints=checkpoints, progress=progress)
    return runs


# the linear SVM's C, chosen per split and descriptor by 5-fold CV on the training images; on split 0 (test accuracy)
# HOG 0.365 / 0.285 / 0.265 / 0.265 and the teacher's features 0.868 / 0.862 / 0.838 / 0.841 at C = 0.001 / 0.01 /
# 0.1 / 1, larger C taking 5-70x longer to fit: the grid stops at 0.01
SVM_CS = (0.0001, 0.001, 0.01)


def svm_accuracy(features: np.ndarray, labels: np.ndarray, protocol: Protocol, *,
                 evaluate: str = "query") -> tuple[float, float, float]:
    """A linear SVM (one-vs-rest, features standardised on the training images) whose C (:data:`SVM_CS`) is chosen
    by stratified 5-fold cross-validation on the training images only: accuracy on the protocol's test images
    (``evaluate="query"``) or on its validation images (``"validation"``, for choosing settings), fit seconds, the C
    chosen."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    if evaluate not in ("query", "validation"):
        raise ValueError(f"evaluate must be 'query' (the test images) or 'validation', not {evaluate!r}")
    scored = np.asarray(getattr(protocol, evaluate))
    if len(scored) == 0:
        raise ValueError(f"the {protocol.name!r} split (seed {protocol.seed}) has no {evaluate} images; "
                         "give it some (e.g. validation_per_class=20) or evaluate on 'query'")
    search = GridSearchCV(make_pipeline(StandardScaler(), LinearSVC(max_iter=20_000)), {"linearsvc__C": SVM_CS},
                          cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=2)
    started = time.perf_counter()
    search.fit(features[protocol.train], labels[protocol.train])
    seconds = time.perf_counter() - started
    accuracy = float((search.predict(features[scored]) == labels[scored]).mean())
    return accuracy, seconds, float(search.best_params_["linearsvc__C"])


@dataclass(frozen=True)
class FlowerRecipe:
    """How Table 5's codes are trained on a split's Oxford-17 training images (680 at the paper's sizes), on top of
    the chapter's settings: the two stages' epochs (far more than on CIFAR-10's 50,000 images, for a comparable
    number of steps) and the settings that differ from CIFAR-10's (None keeps the chapter's)."""

    epochs: tuple[int, int] = (200, 20)
    teacher_size: int | None = None
    rho: float | None = None
    alpha: float | None = None

    def __post_init__(self) -> None:
        if len(self.epochs) != 2 or self.epochs[0] < 1 or self.epochs[1] < 0:
            raise ValueError(f"epochs must be (stage 1 >= 1, stage 2 >= 0), got {self.epochs!r}")

    def describe(self) -> str:
        """The recipe in words, e.g. ``200 + 20 epochs, teacher at 224 px, rho 2``."""
        parts = [f"{self.epochs[0]} + {self.epochs[1]} epochs"]
        parts += [f"teacher at {self.teacher_size} px"] if self.teacher_size is not None else []
        parts += [f"rho {self.rho:g}"] if self.rho is not None else []
        parts += [f"alpha {self.alpha:g}"] if self.alpha is not None else []
        return ", ".join(parts)

    def settings(self, settings: UsdhSettings, bits: int, sizes: Mapping[str, int] | None = None) -> UsdhSettings:
        """``settings`` narrowed to one ``bits``-bit code on the ``flowers`` protocol with this recipe."""
        changed = {name: value for name in ("teacher_size", "rho", "alpha")
                   if (value := getattr(self, name)) is not None}
        rotation_recipe = (settings.rotation_recipe and self.epochs[1]
                           and replace(settings.rotation_recipe, epochs=self.epochs[1])) or None
        return replace(settings, code_lengths=(bits,), baselines=(), protocol="flowers",
                       protocol_options=dict(sizes or {}), recipe=replace(settings.recipe, epochs=self.epochs[0]),
                       rotation_recipe=rotation_recipe, **changed)


# benchmarks/usdh_flower_settings.py (64 bits, SVM accuracy on the validation images of splits 0-2, which the paper
# leaves unused; the test images are not looked at): CIFAR-10's settings with the teacher at 128 px 0.732 +- 0.026,
# at its native 224 px (the flowers are 256-px photographs) 0.795 +- 0.029, and with rho 2 (a smoother S over 680
# images) 0.812 +- 0.011. The stage epochs: on 680 images CIFAR-10's 5 epochs would be 35 steps (split 0, 128 px, test
# accuracy as first measured: 5 epochs 0.571, 50: 0.700, 200: 0.738, 200 + 20 with rotations: 0.753).
FLOWER_RECIPE = FlowerRecipe(epochs=(200, 20), teacher_size=224, rho=2.0)


def flower_codes(flowers: ImageDataset, settings: UsdhSettings, protocol: Protocol, *, losses: str = "usdh",
                 seed: int = 0, device: str | torch.device = "auto", progress: bool = True) -> np.ndarray:
    """0/1 codes (float32) of every image from a USDH network (``losses``: ``"usdh"`` or ``"deepbit"``) trained
    without labels on ``protocol``'s training images with ``settings`` (from :meth:`FlowerRecipe.settings`)."""
    method = USDH(losses)
    inputs = method.network_inputs(flowers, settings, device=device, progress=progress)
    targets = method.training_targets(flowers, protocol, settings, device)
    trained = train_network(method, inputs, protocol, settings, settings.code_lengths[0], targets=targets, seed=seed,
                            device=device, checkpoints=False, progress=progress)
    with torch.no_grad():
        outputs = trained.model.eval().cpu()(inputs.images.float())
    return (outputs > method.threshold).numpy().astype(np.float32)


def flowers_rows(flowers: ImageDataset, settings: UsdhSettings, *, seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
                 bits: int = 64, sizes: Mapping[str, int] | None = None, recipe: FlowerRecipe = FLOWER_RECIPE,
                 device: str | torch.device = "auto", progress: bool = True) -> list[dict]:
    """Table 5: per seed (a ``flowers`` split, ``sizes`` overriding its per-class sizes) and descriptor, the
    linear SVM's test accuracy, fit seconds (the cross-validation of C included) and the C chosen.

    Descriptors: :data:`FLOWER_FEATURES`, the teacher's pooled features (at ``recipe``'s teacher size), and
    ``bits``-bit codes of DeepBit and USDH from :func:`flower_codes` with ``recipe``, fed to the SVM as 0/1 features.
    """
    labels = flowers.labels.numpy()
    narrowed = recipe.settings(settings, bits, sizes)
    described = {name: dataset_features(flowers, kind, progress=progress)[0] for kind, name in FLOWER_FEATURES}
    described[f"teacher features ({narrowed.teacher_feature})"] = dataset_features(
        flowers, narrowed.teacher_feature, progress=progress)[0]
    rows = []
    for seed in seeds:
        protocol = protocol_for(flowers, "flowers", seed=seed, **dict(sizes or {}))
        codes = {f"{USDH(losses).name} {bits}-bit codes": flower_codes(flowers, narrowed, protocol, losses=losses,
                                                                       seed=seed, device=device, progress=progress)
                 for losses in ("deepbit", "usdh")}
        for name, features in {**described, **codes}.items():
            accuracy, seconds, c = svm_accuracy(features, labels, protocol)
            rows.append({"descriptor": name, "seed": seed, "accuracy": accuracy, "svm seconds": seconds, "svm C": c})
    return rows


def digits_stand_in(per_class: int = 80) -> ImageDataset:
    """The smoke profile's stand-in for Oxford-17 (not shipped with the package): the first ``per_class`` embedded
    MNIST digits of each class, as colour images, with no test split (the ``flowers`` protocol draws one)."""
    from ..data import load_dataset

    digits = load_dataset("mnist5k", progress=False)
    chosen = np.sort(np.concatenate([np.flatnonzero(digits.labels.numpy() == label)[:per_class]
                                     for label in range(len(digits.classes))]))
    index = torch.from_numpy(chosen)
    return replace(digits, name="mnist5k-flowers-stand-in", images=digits.images[index].expand(-1, 3, -1, -1).clone(),
                   labels=digits.labels[index], is_test=torch.zeros(len(chosen), dtype=torch.bool),
                   checksum=f"{digits.checksum}-first{per_class}",
                   notes=[*digits.notes, f"smoke stand-in for Oxford-17: the first {per_class} digits per class"])


def flowers_summary(rows: list[dict]) -> "pd.DataFrame":
    """Table 5 from :func:`flowers_rows`: per descriptor the mean and standard deviation of the accuracy over the
    seeds, their number, the mean SVM seconds and the C most often chosen, best first."""
    import pandas as pd

    frame = pd.DataFrame(rows).groupby("descriptor", sort=False)
    summary = pd.DataFrame({"accuracy": frame["accuracy"].mean(), "std": frame["accuracy"].std(ddof=1),
                            "splits": frame["seed"].nunique(), "svm seconds": frame["svm seconds"].mean(),
                            "svm C (most chosen)": frame["svm C"].agg(lambda chosen: chosen.mode().iloc[0])})
    return summary.sort_values("accuracy", ascending=False)


def teacher_text(rows: list[dict], adopted: str, depth: int = 1000) -> str:
    """Which candidate teacher retrieves best on its own, and where the adopted one stands (from the run)."""
    column = f"mAP@{depth} (euclidean)"
    ranked = sorted(rows, key=lambda row: -row[column])
    mine = next((row for row in rows if row["teacher"] == adopted), None)
    text = f"Best teacher by its own Euclidean ranking: **{ranked[0]['teacher']}** (mAP@{depth} {ranked[0][column]:.3f})"
    if mine is not None and mine is not ranked[0]:
        text += f"; the profile's teacher {adopted} reaches {mine[column]:.3f}"
    return text + ". " + ", ".join(f"{row['teacher']} {row[column]:.3f}" for row in ranked[1:]) + "."


def similarity_text(rows: list[dict]) -> str:
    """How much of (0, 1] Eq. 2's S uses as printed and calibrated, at rho = 1 (from the run)."""
    parts = []
    for scale in ("as printed", "calibrated"):
        row = next(row for row in rows if row["teacher scale"] == scale and row["rho"] == 1.0)
        parts.append(f"{scale}, 90 % of the pairs have S between {row['S 5 %']:.3f} and {row['S 95 %']:.3f} "
                     f"(median {row['S median']:.3f})")
    return "At rho = 1: " + "; ".join(parts) + "."


def comparison_text(run: MethodRun, rivals: tuple[str, ...], published: Mapping[str, Mapping[int, float]]) -> str:
    """USDH's mAP@1000 per code length beside each of ``rivals`` in the run and the paper's USDH (from the run)."""
    method, lengths = run.method.name, run.settings.code_lengths
    lines = []
    for bits in lengths:
        ours = run.headline(method, bits)
        beside = [f"{rival} {run.headline(rival, bits):.3f}" for rival in rivals if (rival, bits) in run.reports]
        wins = [rival for rival in rivals if (rival, bits) in run.reports and ours > run.headline(rival, bits)]
        paper = published.get(method, {}).get(bits)
        lines.append(f"* {bits} bits: {method} {ours:.3f}" + (f" (paper {paper:.3f})" if paper else "")
                     + f"; {', '.join(beside)}; above {len(wins)} of {len(beside)}.")
    for rival in rivals:
        gaps = [run.headline(method, bits) - run.headline(rival, bits) for bits in lengths
                if (rival, bits) in run.reports]
        if gaps:
            lines.append(f"\n{method} is above {rival} at **{sum(gap > 0 for gap in gaps)} of {len(gaps)}** code "
                         f"lengths (ours minus it: {', '.join(f'{gap:+.3f}' for gap in gaps)}).")
    return "\n".join(lines)


def ablation_text(variants: Mapping[str, MethodRun], rhos: Mapping[float, MethodRun], lengths: tuple[int, ...],
                  rho_bits: int) -> str:
    """Tables 3 (at each of ``lengths``) and 4 (at ``rho_bits``) in words, from the runs: the order of the loss
    variants per length, at how many lengths USDH is above each variant, and the spread over rho. The code lengths
    are explicit because a reused main run may hold more."""
    lines = []
    for bits in lengths:
        scored = sorted(((run.headline(run.method.name, bits), run.method.name) for run in variants.values()),
                        reverse=True)
        lines.append(f"* Table 3, {bits} bits: " + " > ".join(f"{name} {value:.3f}" for value, name in scored) + ".")
    usdh = variants.get("usdh")
    for key, run in variants.items():
        if usdh is not None and key != "usdh":
            wins = sum(usdh.headline(usdh.method.name, bits) > run.headline(run.method.name, bits) for bits in lengths)
            lines.append(f"* {usdh.method.name} is above {run.method.name} at **{wins} of {len(lengths)}** code "
                         "lengths.")
    if rhos:
        values = {rho: run.headline(run.method.name, rho_bits) for rho, run in rhos.items()}
        best = max(values, key=values.get)
        lines.append(f"* Table 4, {rho_bits} bits: mAP@1000 from "
                     f"{min(values.values()):.3f} to {max(values.values()):.3f} over rho = "
                     f"{', '.join(f'{rho:g}' for rho in values)} (best at rho = {best:g}).")
    return "\n".join(lines)


def flowers_text(summary: "pd.DataFrame", bits: int = 64, recipe: FlowerRecipe | None = None) -> str:
    """Table 5 in words, from the run: the best descriptor, where the codes stand and (``recipe``) how the flower
    networks were trained."""
    best = summary.index[0]
    codes = [name for name in summary.index if name.endswith(f"{bits}-bit codes")]
    parts = [f"{name} {summary.loc[name, 'accuracy']:.3f} +- {summary.loc[name, 'std']:.3f}" for name in codes]
    return (f"Best descriptor over {int(summary['splits'].max())} split(s): **{best}** "
            f"({summary.loc[best, 'accuracy']:.3f}); " + "; ".join(parts) + "."
            + (f" Flower networks: {recipe.describe()}." if recipe is not None else ""))


def results_rows(teachers: list[dict], similarities: list[dict], table3: "pd.DataFrame", table4: "pd.DataFrame",
                 flowers: list[dict], bits: int = 64) -> list[dict]:
    """The chapter's extra results rows: the candidate teachers, Eq. 2's S, Tables 3 and 4, Table 5 per split and,
    per descriptor, Table 5's mean over the splits (:data:`TABLE5_MEAN`, with ``bits`` on the code descriptors, so
    the scoreboard can read USDH's)."""
    rows = [{"name": "teacher", "method": row["teacher"], "value": row["mAP@1000 (euclidean)"], **row}
            for row in teachers]
    rows += [{"name": "similarity", "method": row["teacher scale"], "value": row["S median"], **row}
             for row in similarities]
    rows += [{"name": "table 3 mAP@1000", "method": row["method"], "bits": row["bits"], "value": row["mAP@1000"]}
             for row in table3.to_dict("records")]
    rows += [{"name": "table 4 mAP@1000", "method": f"rho={row['rho']:g}", "bits": row["bits"], "value": row["mAP@1000"]}
             for row in table4.to_dict("records")]
    rows += [{"name": "table 5 accuracy", "method": row["descriptor"], "seed": row["seed"], "value": row["accuracy"],
              "svm_seconds": row["svm seconds"], "svm_C": row["svm C"]} for row in flowers]
    for name, row in flowers_summary(flowers).iterrows():
        code_bits = {"bits": bits} if name.endswith(f"{bits}-bit codes") else {}
        rows.append({"name": TABLE5_MEAN, "method": name, **code_bits, "value": float(row["accuracy"]),
                     "std": float(row["std"]) if row["splits"] > 1 else None, "splits": int(row["splits"])})
    return rows
