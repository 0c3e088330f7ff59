"""Figures shared by the chapters, so every chapter looks the same.

Introduced in the classic-baselines chapter.
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

__all__ = ["set_theme", "ours_vs_published", "curves", "retrieval_grid", "ranking_grids", "activation_overview",
           "training_curves", "retrieval_curves", "top_retrievals", "search_study", "speed_bars", "bars",
           "ablation_points", "seed_spread_curves", "score_per_minute", "tie_shift"]


def set_theme() -> None:
    """The book's seaborn theme."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")


def ours_vs_published(table: pd.DataFrame, *, value: str = "ours", published: str = "published"):
    """One panel per source table: our value (solid) and the quoted one (dashed) per method vs code length.

    ``table`` needs columns source, method, bits, ``value`` and ``published``;
    with a ``dataset`` column, a source that covers several datasets gets one
    line per (method, dataset), told apart by marker, never joined across datasets.
    The legend sits below each panel, clear of the lines.
    """
    sources = list(dict.fromkeys(table["source"]))
    figure, axes = plt.subplots(1, len(sources), figsize=(4.8 * len(sources), 4.6), squeeze=False)
    palette = dict(zip(sorted(table["method"].unique()), sns.color_palette("colorblind", table["method"].nunique())))
    markers = ["o", "s", "^", "D"]
    for axis, source in zip(axes[0], sources):
        part = table[table["source"] == source]
        keys = ["method", "dataset"] if "dataset" in part else ["method"]
        datasets = list(dict.fromkeys(part["dataset"])) if "dataset" in part else [None]
        for key, rows in part.groupby(keys, sort=True):
            method, dataset = (key if isinstance(key, tuple) else (key,)) + (None,) * (2 - len(keys))
            rows = rows.sort_values("bits")
            marker = markers[datasets.index(dataset) % len(markers)] if dataset is not None else "o"
            label = method if len(datasets) == 1 else f"{method}, {dataset}"
            axis.plot(rows["bits"], rows[value], "-", marker=marker, color=palette[method], label=f"{label} (ours)")
            axis.plot(rows["bits"], rows[published], "--", marker="x", color=palette[method],
                      label=f"{label} (paper)")
        axis.set_title(source, fontsize=10)
        axis.set_xlabel("code length (bits)")
        axis.set_ylabel(part["metric"].iloc[0] if "metric" in part else "mAP")
        axis.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    figure.tight_layout()
    return figure


def _axis(ax=None, figsize=(4.8, 3.6)):
    if ax is not None:
        return ax.figure, ax
    figure, ax = plt.subplots(figsize=figsize)
    return figure, ax


def curves(x_values, series: dict, *, xlabel: str, ylabel: str, title: str | None = None, ax=None,
           styles: dict | None = None):
    """Line plot of several named series over shared or per-series x values.

    ``series``: name -> y values, or name -> (x values, y values). Used for
    precision-recall curves, precision@k vs k, and a metric vs code length.
    ``styles``: name -> matplotlib format string (e.g. ``"--"`` for quoted values).
    """
    figure, ax = _axis(ax)
    for name, values in series.items():
        xs, ys = values if isinstance(values, tuple) else (x_values, values)
        ax.plot(xs, ys, (styles or {}).get(name, "-o" if len(ys) <= 12 else "-"), label=name,
                markersize=4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def retrieval_grid(query_images, result_images, relevant, *, titles=None):
    """Queries (first column) and their top-k results, framed green when relevant and red when not.

    query_images: (q, C, H, W) uint8; result_images: (q, k, C, H, W) uint8; relevant: (q, k) bool.
    """
    import numpy as np

    queries = np.asarray(query_images)
    results = np.asarray(result_images)
    hits = np.asarray(relevant, dtype=bool)
    if results.shape[:2] != hits.shape or len(queries) != len(results):
        raise ValueError(f"shapes disagree: {queries.shape[0]} queries, results {results.shape[:2]}, "
                         f"relevance {hits.shape}")
    rows, columns = hits.shape[0], hits.shape[1] + 1
    figure, axes = plt.subplots(rows, columns, figsize=(1.1 * columns, 1.15 * rows), squeeze=False)

    def show(axis, image, colour=None):
        picture = image.transpose(1, 2, 0)
        axis.imshow(picture.squeeze(-1) if picture.shape[-1] == 1 else picture, cmap="gray")
        axis.set_xticks([])
        axis.set_yticks([])
        for spine in axis.spines.values():
            spine.set_visible(colour is not None)
            if colour is not None:
                spine.set_edgecolor(colour)
                spine.set_linewidth(2.5)

    for row in range(rows):
        show(axes[row, 0], queries[row])
        axes[row, 0].set_ylabel(titles[row] if titles else f"query {row + 1}", fontsize=11)
        for column in range(hits.shape[1]):
            show(axes[row, column + 1], results[row, column], "tab:green" if hits[row, column] else "tab:red")
    figure.tight_layout(pad=0.2)
    return figure


def activation_overview(outputs, *, threshold: float = 0.0, layer: str = "H layer"):
    """Histogram of a layer's real-valued outputs and, per unit, the share above ``threshold`` (bit balance)."""
    import numpy as np

    values = np.asarray(outputs, dtype=np.float64)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.4))
    left.hist(values.ravel(), bins=80, color="tab:blue")
    left.axvline(threshold, color="black", linestyle="--", linewidth=1)
    left.set_xlabel(f"{layer} output")
    left.set_ylabel("count")
    share = (values > threshold).mean(axis=0)
    right.bar(np.arange(len(share)), share, color="tab:orange")
    right.axhline(0.5, color="black", linestyle="--", linewidth=1)
    right.set_ylim(0, 1)
    right.set_xlabel("bit")
    right.set_ylabel(f"share of outputs > {threshold:g}")
    figure.tight_layout()
    return figure


def training_curves(runs: dict):
    """One panel per dataset: training accuracy (loss when the objective does not classify) per epoch, every
    network and stage of :class:`hashlib_core.experiment.MethodRun` runs, stages one after the other."""
    import numpy as np

    figure, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 3.4), squeeze=False)
    for axis, (name, run) in zip(axes[0], runs.items()):
        networks = ([("pre-training", run.pretrained)] if run.pretrained else []) + \
            [(f"{bits} bits", network) for bits, network in run.networks.items()]
        offset = len(run.pretrained.history) if run.pretrained else 0
        measure = "accuracy" if run.networks and next(iter(run.networks.values())).history[-1]["accuracy"] \
            is not None else "loss"
        series = {}
        for label, network in networks:
            start = 0 if label == "pre-training" else offset
            values = [entry[measure] for entry in network.history]
            series[label] = (start + np.arange(1, len(values) + 1), values)
        curves(None, series, xlabel="epoch", ylabel=f"training {measure}", title=name, ax=axis)
    figure.tight_layout()
    return figure


def retrieval_curves(run, methods: list[str] | None = None, *, bits: int | None = None, radius_panel: bool = True,
                     reference: float | None = None):
    """Hamming-ranking figures of one run: precision within radius 2 vs code length, precision-recall over the
    radius, and precision vs number returned at ``bits`` (default: the longest code) for ``methods`` (default: the
    run's method and its baselines); ``reference`` draws a quoted precision level (dashed) on the last panel."""
    reported = list(dict.fromkeys(method for method, _ in run.reports))
    methods = reported if methods is None else list(methods)
    unknown = [method for method in methods if method not in reported]
    if unknown:
        raise ValueError(f"methods {unknown} were not evaluated in this run; it has {reported}")
    lengths = list(run.settings.code_lengths)
    shown = bits if bits in lengths else max(lengths)
    name = run.dataset.name
    panels = 3 if radius_panel else 1
    figure, axes = plt.subplots(1, panels, figsize=(4.7 * panels, 3.8), squeeze=False)
    axes = axes[0]
    if radius_panel:
        curves(lengths, {method: [run.reports[(method, length)].precision_within_radius for length in lengths]
                         for method in methods}, xlabel="code length (bits)", ylabel="precision (radius 2)",
               title=f"{name}: hash lookup, radius 2", ax=axes[0])
        curves(None, {method: (run.reports[(method, shown)].radius_curve.recall,
                               run.reports[(method, shown)].radius_curve.precision) for method in methods},
               xlabel="recall", ylabel="precision", title=f"{name}: precision-recall, {shown} bits", ax=axes[1])
    curves(None, {method: (run.reports[(method, shown)].ks, run.reports[(method, shown)].precision_at_k)
                  for method in methods}, xlabel="number of returned images", ylabel="precision",
           title=f"{name}: precision vs returned, {shown} bits", ax=axes[-1])
    if reference is not None:
        axes[-1].axhline(reference, color="black", linestyle="--", linewidth=1, label="paper (quoted)")
        axes[-1].legend(fontsize=8, loc="lower right")
    for axis in axes:
        axis.legend(fontsize=8, loc="best", framealpha=0.85)
    figure.tight_layout()
    return figure


def top_retrievals(run, method: str, bits: int, k: int = 10):
    """The first query of every class and its ``k`` Hamming-nearest database images (ties by database index)."""
    import numpy as np

    from .search import hamming_rank

    protocol, labels = run.protocol, run.labels
    query_labels = labels[protocol.query]
    chosen = np.array([np.flatnonzero(query_labels == label)[0] for label in np.unique(query_labels)])
    neighbours, _ = hamming_rank(run.part_codes(method, bits, "query")[chosen],
                                 run.part_codes(method, bits, "database"), k=k)
    found = protocol.database[neighbours]
    images = run.dataset.images.numpy()
    figure = retrieval_grid(images[protocol.query[chosen]], images[found],
                            labels[found] == query_labels[chosen][:, None],
                            titles=[run.dataset.classes[label] for label in query_labels[chosen]])
    figure.suptitle(f"{run.dataset.name}, {method}, {bits} bits", fontsize=10, y=1.01)
    return figure


def ranking_grids(run, query, rankings: Mapping[str, Any]) -> list:
    """One :func:`retrieval_grid` per named ranking of the same queries, titled by its name: ``query`` the
    queries' dataset indices (q,), ``rankings`` name -> (q, k) dataset indices of each query's top results (e.g.
    :func:`hashlib_core.studies.zeng_similarity.changed_top`)."""
    import numpy as np

    query = np.asarray(query)
    images, labels = run.dataset.images.numpy(), run.labels
    figures = []
    for name, found in rankings.items():
        found = np.asarray(found)
        if found.ndim != 2 or len(found) != len(query):
            raise ValueError(f"ranking {name!r} must hold one row of results per query ({len(query)}), "
                             f"got shape {found.shape}")
        figure = retrieval_grid(images[query], images[found], labels[found] == labels[query][:, None],
                                titles=[run.dataset.classes[label] for label in labels[query]])
        figure.suptitle(f"{run.dataset.name}: {name}, top {found.shape[1]}", fontsize=14, y=1.03)
        figures.append(figure)
    return figures


def search_study(comparison: dict, title: str):
    """Three panels of an ES / BCS / HDS study (:func:`hashlib_core.studies.dlbhc.search_comparison`): precision
    vs k, HDS precision vs pool size (BCS's precision@10 for reference), and HDS vs a Hamming radius."""
    frame, summary = pd.DataFrame(comparison["curves"]), pd.DataFrame(comparison["summary"])
    pools = summary[summary["kind"] == "HDS"]
    largest = int(pools["pool size"].max())
    shown = set(summary.loc[summary["kind"] != "HDS", "search"]) | \
        {f"HDS (pool {size})" for size in (1000, 5000, largest)}
    figure, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    curves(None, {search: (part["k"].to_numpy(), part["precision"].to_numpy())
                  for search, part in frame.groupby("search", sort=False) if search in shown},
           xlabel="number of retrieved images", ylabel="precision", title=title, ax=axes[0])
    axes[0].set_xscale("log")
    at_100 = frame[frame["k"] == 100].set_index("search")["precision"]
    curves(pools["pool size"].to_numpy(), {"HDS precision@10": pools["precision@10"].to_numpy(),
                                           "HDS precision@100": at_100[pools["search"]].to_numpy()},
           xlabel="HDS pool size (Hamming-nearest codes)", ylabel="precision", title="effect of the pool size",
           ax=axes[1])
    bcs = summary.loc[summary["kind"] == "BCS", "precision@10"].iloc[0]
    axes[1].axhline(bcs, color="tab:gray", linestyle=":", linewidth=1, label="BCS precision@10")
    axes[1].set_xscale("log")
    axes[1].legend(fontsize=8)
    radius = pd.DataFrame(comparison["radius"])
    curves(radius["radius"].to_numpy(), {key: radius[key].to_numpy() for key in
                                         ("HDS precision@10", "HDS precision@100", "queries without candidates")},
           xlabel="Hamming threshold (radius)", ylabel="share", title="effect of the Hamming threshold", ax=axes[2])
    figure.tight_layout()
    return figure


def speed_bars(rows: list[dict], n_database: int):
    """ns per comparison of every scan in a :func:`hashlib_core.speed.search_speed` table (log scale; codes green)."""
    scans = pd.DataFrame(rows)
    scans = scans[scans["kind"] == "scan"]
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.barh(scans["method"] + " | " + scans["representation"], scans["ns per comparison"],
              color=["tab:green" if "code" in text else "tab:blue" for text in scans["representation"]])
    axis.set_xscale("log")
    axis.set_xlabel(f"ns per comparison (scan of {n_database:,} items, log scale)")
    axis.invert_yaxis()
    figure.tight_layout()
    return figure


def bars(labels, values, *, xlabel: str):
    """Horizontal bars, first label on top (e.g. mAP of several rankings)."""
    figure, axis = plt.subplots(figsize=(6, 0.45 * len(labels) + 0.8))
    axis.barh(list(labels), list(values), color="tab:blue")
    axis.set_xlabel(xlabel)
    axis.invert_yaxis()
    figure.tight_layout()
    return figure


def ablation_points(rows: list[dict]):
    """mAP of every network variant and seed, one panel per code length: a dot per seed, a bar at the mean
    (rows: ``network``, ``seed``, ``bits``, ``mAP``), so seed noise and differences show on one axis."""
    frame = pd.DataFrame(rows)
    lengths = sorted(frame["bits"].unique())
    figure, axes = plt.subplots(1, len(lengths), figsize=(5.2 * len(lengths), 0.45 * frame["network"].nunique() + 1.4),
                                squeeze=False, sharey=True)
    for axis, bits in zip(axes[0], lengths):
        part = frame[frame["bits"] == bits]
        order = part.groupby("network", sort=False)["mAP"].mean().sort_values(ascending=False)
        positions = {name: index for index, name in enumerate(order.index)}
        axis.barh([positions[name] for name in order.index], order.to_numpy(), color="tab:blue", alpha=0.25)
        axis.scatter(part["mAP"], [positions[name] for name in part["network"]], color="tab:blue", s=18, zorder=3)
        axis.set_yticks(range(len(order)), list(order.index))
        axis.invert_yaxis()
        low, high = part["mAP"].min(), part["mAP"].max()
        axis.set_xlim(max(0.0, low - 0.1 * (high - low + 0.02)), min(1.0, high + 0.1 * (high - low + 0.02)))
        axis.set_xlabel("mAP")
        axis.set_title(f"{bits} bits: dots are seeds, bars the mean", fontsize=10)
    figure.tight_layout()
    return figure


def seed_spread_curves(rows: list[dict], metrics: tuple[str, ...]):
    """One panel per metric: the mean over seeds against code length per method, the band one standard
    deviation wide (rows: ``name``, ``method``, ``bits``, ``seed``, ``value``; ``chapter`` ``"baselines"``
    draws a classic baseline dashed)."""
    frame = pd.DataFrame([row for row in rows if row["name"] in metrics])
    frame["bits"] = frame["bits"].astype(int)
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 4.4), squeeze=False)
    order = list(dict.fromkeys(frame["method"]))
    colours = sns.color_palette("tab20")
    palette = dict(zip(order, (colours[0::2] + colours[1::2])[:len(order)]))  # ten strong colours, then light ones
    frame["kind"] = ["classic baseline" if row == "baselines" else "deep" for row in frame.get("chapter", "")]
    for axis, metric in zip(axes[0], metrics):
        sns.lineplot(frame[frame["name"] == metric], x="bits", y="value", hue="method", hue_order=order,
                     palette=palette, style="kind", style_order=["deep", "classic baseline"], errorbar="sd",
                     marker="o", ax=axis, legend=axis is axes[0][0])
        axis.set_xlabel("code length (bits)")
        axis.set_ylabel(metric)
        axis.set_xticks(sorted(frame["bits"].unique()))
    if axes[0][0].get_legend() is not None:
        axes[0][0].legend(fontsize=7, ncol=4, loc="upper left", bbox_to_anchor=(0.0, -0.18), frameon=False)
    figure.tight_layout()
    return figure


def score_per_minute(table: pd.DataFrame, metric: str):
    """Mean ``metric`` of each deep method and code length against its training core-minutes per code length
    (log scale; ``table`` from :func:`hashlib_core.studies.comparison.per_minute_frame`), longest code labelled."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    table = table.assign(bits=table["bits"].astype(int))
    figure, axis = plt.subplots(figsize=(7.2, 4.8))
    sns.scatterplot(table, x="core-minutes per code length", y="mean", hue="method", size="bits", sizes=(25, 120),
                    ax=axis)
    longest = table[table["bits"] == table["bits"].max()]
    for _, row in longest.iterrows():
        axis.annotate(row["method"], (row["core-minutes per code length"], row["mean"]), fontsize=7,
                      xytext=(5, -3), textcoords="offset points")
    axis.set_xscale("log")
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.xaxis.set_minor_formatter(NullFormatter())
    low, high = table["core-minutes per code length"].min(), table["core-minutes per code length"].max()
    axis.set_xlim(low / 1.5, high * 3)  # room for the labels right of the points
    axis.set_xlabel("training core-minutes per code length (log scale)")
    axis.set_ylabel(f"{metric} (mean over seeds)")
    axis.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    figure.tight_layout()
    return figure


def tie_shift(shift: pd.DataFrame):
    """How far ties move each method's mAP: bars of ``shift`` (expected-ties mAP minus index-order mAP; the table of
    :func:`hashlib_core.studies.comparison.tie_shift_frame`) per method and code length, mean over seeds with one
    sd (a positive bar means index order ranked the tied relevant items late)."""
    order = list(shift["method"].cat.categories)
    figure, axis = plt.subplots(figsize=(7.2, 0.22 * len(order) * shift["bits"].nunique() + 1.2))
    sns.barplot(shift, y="method", x="shift", hue="bits", order=order, errorbar="sd", orient="h", ax=axis,
                palette="crest")
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_xlabel("mAP (expected ties) minus mAP (mean over seeds, bars: one sd)")
    axis.set_ylabel("")
    axis.legend(title="bits", fontsize=7, loc="lower right")
    figure.tight_layout()
    return figure
