"""Zeng et al.'s studies: the ablations of Secs. 4.4-4.5, the chapter's plan, tables and texts.

Introduced in the Zeng chapter. The chapter's notebook imports this module as ``study``; it re-exports the
combined similarity of Sec. 3.3 (:mod:`hashlib_core.studies.zeng_similarity`) and the 50-epoch runs
(:mod:`hashlib_core.studies.zeng_long`), so one name serves the whole chapter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import pandas as pd
import torch

from ..data import ImageDataset
from ..experiment import MethodRun, run_method
from ..methods.zeng import PAPER_EPOCHS, Zeng, ZengSettings
from ..published import DSH_CIFAR10_MAP, ZENG_TARGETS
from ..report import ours_beside_paper
from .zeng_long import (ANNEALED, LONG_FORMATS, LONG_RECIPES, RECIPE_FORMATS, REGULARISATION, images_per_second,
                        long_metric, long_rows, long_runs, long_settings, long_table, long_text, longer_recipe,
                        recipe_table, training_map, training_minutes)
from .zeng_similarity import (PERCEPTUAL_BITS, READINGS, changed_top, combined_key, combined_rank,
                              combined_similarity, perceptual_hashes, similarity_study, similarity_text)

# the Sec. 3.3 study and the 50-epoch runs are re-exported: the chapter's notebook reads one module
__all__ = ["PERCEPTUAL_BITS", "READINGS", "perceptual_hashes", "combined_key", "combined_similarity", "combined_rank",
           "similarity_study", "changed_top", "similarity_text", "REGULARISATION", "ANNEALED", "LONG_RECIPES",
           "longer_recipe", "long_settings", "long_runs", "training_map", "training_minutes", "images_per_second",
           "long_rows", "LONG_FORMATS", "long_table", "long_text", "RECIPE_FORMATS", "recipe_table", "long_metric",
           "ABLATIONS", "TARGETS", "StudyPlan", "STUDY_PLANS", "study_plan", "network_rows", "ablation_runs",
           "ablation_rows", "ablation_summary", "ablation_text", "results_rows", "reference_plan", "named_runs",
           "maps_table", "maps_text", "timing_text"]

# Sec. 4.4 (one pooling method twice) and Sec. 4.5 (one stream) beside the paper's network
ABLATIONS = ("bilinear", "max-only", "avg-only", "traditional_net-A", "traditional_net-B")
# this book's targets for the paper's network at 48 bits on the zeng protocol (the paper prints curves only)
TARGETS = {name: values[48] for name, values in ZENG_TARGETS.items()}


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
                         "mAP": run.headline(run.method.name, bits), "training minutes": training_minutes(run, bits)})
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


def timing_text(runs: Mapping[str, MethodRun], reference_runs: Mapping[str, MethodRun],
                ablations: Mapping[tuple[str, int], MethodRun]) -> str:
    """Training minutes (as recorded per epoch) of the method, the reference network and the ablations, and the
    median training images/s of each network."""
    minutes, speed = training_minutes, images_per_second
    parts = [f"{name}: {run.method.name} {minutes(run):.1f} training minutes ({speed(run):,.0f} images/s per "
             f"process), {reference_runs[name].method.name} {minutes(reference_runs[name]):.1f} "
             f"({speed(reference_runs[name]):,.0f} images/s), wall {sum(run.stages.values()) / 60:.1f} minutes "
             "for the main run with its baselines" for name, run in runs.items() if name in reference_runs]
    extra = [run for key, run in ablations.items() if all(run is not main for main in runs.values())]
    if extra:
        parts.append(f"ablations: {sum(minutes(run) for run in extra):.1f} training minutes over {len(extra)} runs")
    return "; ".join(parts) + "."
