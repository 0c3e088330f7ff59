"""Figures shared by the chapters, so every chapter looks the same.

Introduced in the classic-baselines chapter.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

__all__ = ["set_theme", "ours_vs_published"]


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
