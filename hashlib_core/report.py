"""What every paper chapter shows about its runs: the plan, the training, ours beside the paper, the results files.

Introduced in the CNN Based Hashing chapter; every paper chapter's notebook
calls these, so the notebooks stay parameters, calls, tables, figures and prose.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import pandas as pd
import torch

from .experiment import DeepHashingMethod, MethodRun, run_method, write_run_results
from .results import read_results
from .runtime import pick_device, repository_root, timed
from .settings import RunSettings, settings_record

if TYPE_CHECKING:
    from .speed import SpeedStudy

__all__ = ["timed", "describe_plan", "run_plan", "training_frame", "TRAINING_FORMATS", "training_table",
           "ours_beside_paper", "beside_paper_text", "pick_run", "write_chapter_results", "results_frame",
           "study_table", "sanity_check", "show_search_studies", "show_speed_study"]


def describe_plan(plan: Mapping[str, RunSettings], device: str | torch.device = "auto") -> pd.DataFrame:
    """One row per dataset: code lengths, protocol, every recipe (as its settings), baselines, and the device."""
    rows = []
    for name, settings in plan.items():
        record = settings_record(settings)
        row = {"dataset": name, "code lengths": list(settings.code_lengths), "protocol": settings.protocol}
        row.update({field: ", ".join(f"{key}={value}" for key, value in record[field].items())
                    if record[field] else "none" for field in settings.recipes | _none_recipes(settings)})
        row["baselines"] = ", ".join(baseline.label for baseline in settings.baselines) or "none"
        row["device"] = str(pick_device(device))
        rows.append(row)
    return pd.DataFrame(rows).set_index("dataset").T


def _none_recipes(settings: RunSettings) -> dict:
    return {name: None for name in ("pretrain",) if hasattr(settings, name) and getattr(settings, name) is None}


def run_plan(method: DeepHashingMethod, plan: Mapping[str, RunSettings], data_root: str | os.PathLike | None = None,
             *, seed: int = 0, device: str | torch.device = "auto", checkpoints: bool = True,
             progress: bool = True, workers: int | None = None) -> dict[str, MethodRun]:
    """:func:`~hashlib_core.experiment.run_method` for every dataset of a plan, in order."""
    return {name: run_method(method, name, settings, data_root, seed=seed, device=device, checkpoints=checkpoints,
                             progress=progress, workers=workers) for name, settings in plan.items()}


def training_frame(runs: Mapping[str, MethodRun]) -> pd.DataFrame:
    """Every trained network and stage of every run: epochs, resumed epochs, minutes, images/s, last accuracy."""
    rows = [{"dataset": name, **row} for name, run in runs.items() for row in run.training_table()]
    return pd.DataFrame(rows)


TRAINING_FORMATS = {"minutes": "{:.1f}", "images/s": "{:,.0f}", "last loss": "{:.3f}",
                    "last training accuracy": "{:.3f}"}


def training_table(runs: Mapping[str, MethodRun]):
    """:func:`training_frame` styled for display: minutes to a tenth, images/s whole, without the columns that hold
    no value in any row (e.g. training accuracy for a method that trains no classifier) or one value in every row
    (e.g. a single training stage, said once in the caption instead)."""
    frame = training_frame(runs).dropna(axis="columns", how="all")
    constant = [column for column in ("stage", "resumed epochs")
                if column in frame.columns and frame[column].nunique(dropna=False) == 1]
    caption = "; ".join(f"{column} {frame[column].iloc[0]}" for column in constant)
    frame = frame.drop(columns=constant)
    styled = frame.style.format({name: form for name, form in TRAINING_FORMATS.items() if name in frame.columns},
                                na_rep="-").hide(axis="index")
    return styled.set_caption(f"every row: {caption}") if caption else styled


def ours_beside_paper(runs: Mapping[str, MethodRun], published: Mapping[str, Mapping[str, Mapping[int, float]]],
                      *, value: Callable[[MethodRun, str, int], float] | None = None,
                      source: str = "paper", metric: str = "mAP") -> pd.DataFrame:
    """A (dataset, source, method) x bits table: every method of each run (ours) beside the quoted numbers.

    ``published``: ``{dataset: {method: {bits: value}}}`` (only the code
    lengths run are shown); ``value(run, method, bits)`` picks our number
    (default: the run's headline number).
    """
    pick = value or (lambda run, method, bits: run.headline(method, bits))
    rows = []
    for name, run in runs.items():
        lengths = run.settings.code_lengths
        rows += [{"dataset": name, "source": "ours", "method": method, "bits": bits, metric: pick(run, method, bits)}
                 for method, bits in run.reports]
        rows += [{"dataset": name, "source": source, "method": method, "bits": bits, metric: number}
                 for method, values in published.get(name, {}).items() for bits, number in values.items()
                 if bits in lengths]
    return pd.DataFrame(rows).pivot_table(index=["dataset", "source", "method"], columns="bits", values=metric,
                                          sort=False)


def _numbers(values: list[float]) -> str:
    return " / ".join(f"{value:.3f}" for value in values)


def beside_paper_text(runs: Mapping[str, MethodRun], published: Mapping[str, Mapping[str, Mapping[int, float]]],
                      methods: list[str], *, profile: str, metric: str = "mAP") -> str:
    """Markdown bullets written from this run: per dataset and method, ours beside the quoted numbers at the code
    lengths both have, and the range of the differences (so prose never quotes another run's numbers)."""
    lines = []
    for name, run in runs.items():
        stages = [run.method.pretraining_stage(run.settings)] + \
            run.method.training_stages(run.settings, max(run.settings.code_lengths))
        epochs = ", ".join(f"{stage.name} {stage.recipe.epochs} epochs" for stage in stages if stage is not None)
        lines.append(f"* **{run.dataset.name}** ({profile} profile, seed {run.seed}, {epochs}):")
        for method in methods:
            quoted = published.get(name, {}).get(method, {})
            lengths = [bits for bits in run.settings.code_lengths if bits in quoted and (method, bits) in run.reports]
            if not lengths:
                continue
            ours = [run.headline(method, bits) for bits in lengths]
            theirs = [quoted[bits] for bits in lengths]
            gaps = [mine - paper for mine, paper in zip(ours, theirs)]
            bits_text = "/".join(str(bits) for bits in lengths)
            lines.append(f"  {method} {metric} at {bits_text} bits: ours {_numbers(ours)}, paper {_numbers(theirs)}; "
                         f"ours minus paper {min(gaps):+.3f} to {max(gaps):+.3f}.")
    return "\n".join(lines)


def pick_run(runs: Mapping[str, MethodRun], dataset: str, bits: int) -> tuple[MethodRun, int]:
    """The run of ``dataset`` (else the first run) and ``bits`` if it was trained (else its longest code)."""
    run = runs.get(dataset) or next(iter(runs.values()))
    lengths = run.settings.code_lengths
    return run, bits if bits in lengths else max(lengths)


def write_chapter_results(runs: Mapping[str, MethodRun], profile: str, *,
                          extra_rows: Mapping[str, list[dict]] | None = None,
                          extra_stages: Mapping[str, dict[str, float]] | None = None,
                          device: str | torch.device = "auto",
                          results_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write each run's results file: ``results/<chapter>/<dataset>.json`` for the paper profile,
    ``results/<chapter>/<profile>/<dataset>.json`` for any other (so no profile replaces the paper profile's
    numbers), nothing for smoke runs without a ``results_dir``; ``extra_rows`` / ``extra_stages`` per dataset
    add a chapter's studies."""
    if profile.startswith("smoke") and results_dir is None:
        print("smoke profile: no results file written (pass results_dir to keep one)")
        return []
    paths = []
    for name, run in runs.items():
        directory = results_dir
        if directory is None and profile != "paper":
            directory = repository_root() / "results" / run.method.chapter / profile
        path = write_run_results(run, profile, extra_rows=(extra_rows or {}).get(name),
                                 extra_stages=(extra_stages or {}).get(name), device=device, directory=directory)
        shown = path.relative_to(repository_root()) if path.is_relative_to(repository_root()) else path.name
        print(f"{name}: wrote {shown}; wall seconds {sum(run.stages.values()) / 60:.1f} min")
        paths.append(path)
    return paths


def results_frame(chapter: str, name: str, key: str = "runs") -> pd.DataFrame | None:
    """The ``key`` rows of a committed study file ``results/<chapter>/<name>.json`` as a table (None if absent)."""
    path = repository_root() / "results" / chapter / f"{name}.json"
    if not path.exists():
        print(f"no results file results/{chapter}/{name}.json in this checkout")
        return None
    return pd.DataFrame(read_results(path, required=(key,))[key])


def study_table(chapter: str, name: str, formats: Mapping[str, Any], *, drop: tuple[str, ...] = (),
                drop_if_present: tuple[str, ...] = ()):
    """A committed study file's rows (:func:`results_frame`) styled with ``formats`` for display (None if absent),
    without the columns in ``drop`` (each must exist) and those of ``drop_if_present`` that the file has."""
    frame = results_frame(chapter, name)
    if frame is None:
        return None
    hidden = [*drop, *(column for column in drop_if_present if column in frame.columns)]
    return frame.drop(columns=hidden).style.format(formats, na_rep="-").hide(axis="index")


def sanity_check(run: MethodRun, method: str, baseline: str) -> None:
    """Checks a chapter runs under nbval and in full runs alike: every score lies in [0, 1], the codes and outputs
    have the right shapes, and ``method`` beats ``baseline`` at every code length (AssertionError otherwise)."""
    for bits in run.settings.code_lengths:
        ours, theirs = run.headline(method, bits), run.headline(baseline, bits)
        assert 0.0 <= ours <= 1.0 and 0.0 <= run.reports[(method, bits)].precision_within_radius <= 1.0, (method, bits)
        assert ours > theirs, f"{run.dataset.name} {bits} bits: {method} {ours:.3f} is not above {baseline} {theirs:.3f}"
        assert len(run.codes[(method, bits)]) == len(run.dataset) and run.codes[(method, bits)].n_bits == bits
        assert run.outputs[bits][run.method.hash_layer].shape == (len(run.dataset), bits)


def show_speed_study(study: "SpeedStudy") -> None:
    """Display a :class:`hashlib_core.speed.SpeedStudy`: its table, its bar chart and its ratios."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from .plots import speed_bars

    display(pd.DataFrame(study.rows).style.format({"seconds per query": "{:.2e}", "ns per comparison": "{:.2f}",
                                                   "bytes per item": "{:,}"}).hide(axis="index"))
    speed_bars(study.rows, study.n_database)
    plt.show()
    display(pd.Series(study.ratios, name="times faster").to_frame().style.format("{:,.0f}x"))


def show_search_studies(comparisons: Mapping[str, Mapping[int, dict]]) -> None:
    """Display every ES / BCS / HDS study (:func:`hashlib_core.studies.dlbhc.search_studies` per dataset): its summary
    table, its three-panel figure and its by-radius table."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from .plots import search_study

    for name, per_length in comparisons.items():
        for bits, comparison in per_length.items():
            display(pd.DataFrame(comparison["summary"]).drop(columns="kind").style.format(
                {"mAP@1000": "{:.4f}", "precision@10": "{:.4f}", "ms per query": "{:.2f}"}, na_rep="-")
                .hide(axis="index").set_caption(f"{name}, {bits} bits"))
            search_study(comparison, f"{name}, {bits} bits")
            plt.show()
            display(pd.DataFrame(comparison["radius"]).style.format(precision=3).hide(axis="index"))
