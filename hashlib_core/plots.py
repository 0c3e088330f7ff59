"""Figures shared by the chapters, so every chapter looks the same.

Introduced in the classic-baselines chapter.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

__all__ = ["set_theme", "ours_vs_published", "curves", "retrieval_grid", "activation_overview"]


def set_theme() -> None:
    """The book's seaborn theme."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")


def ours_vs_published(table: pd.DataFrame, *, value: str = "ours", published: str = "published"):
    """One panel per source table: our value (solid) and the quoted one (dashed) per method vs code length.

    ``table`` needs columns source, method, bits, ``value`` and ``published``.
    """
    sources = list(dict.fromkeys(table["source"]))
    figure, axes = plt.subplots(1, len(sources), figsize=(4.6 * len(sources), 3.6), squeeze=False)
    palette = dict(zip(sorted(table["method"].unique()), sns.color_palette("colorblind", table["method"].nunique())))
    for axis, source in zip(axes[0], sources):
        part = table[table["source"] == source]
        for method, rows in part.groupby("method"):
            rows = rows.sort_values("bits")
            axis.plot(rows["bits"], rows[value], "-o", color=palette[method], label=f"{method} (ours)")
            axis.plot(rows["bits"], rows[published], "--x", color=palette[method], label=f"{method} (paper)")
        axis.set_title(source, fontsize=10)
        axis.set_xlabel("code length (bits)")
        axis.set_ylabel(part["metric"].iloc[0] if "metric" in part else "mAP")
        axis.legend(fontsize=7, ncol=2)
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
        axes[row, 0].set_ylabel(titles[row] if titles else f"query {row + 1}", fontsize=7)
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
