import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from hashlib_core.plots import activation_overview, curves, ours_vs_published, retrieval_grid


def test_curves_draws_one_line_per_series_with_shared_or_own_x():
    figure = curves([12, 24, 48], {"ours": [0.5, 0.6, 0.7], "paper": ([12, 48], [0.4, 0.6])},
                    xlabel="bits", ylabel="mAP", styles={"paper": "--x"})
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["ours", "paper"]
    assert list(lines[1].get_xdata()) == [12, 48]


def test_retrieval_grid_frames_hits_green_and_misses_red():
    queries = np.zeros((2, 1, 8, 8), np.uint8)
    results = np.zeros((2, 3, 1, 8, 8), np.uint8)
    relevant = np.array([[True, False, True], [False, False, True]])
    figure = retrieval_grid(queries, results, relevant)
    assert len(figure.axes) == 8
    colours = [axis.spines["top"].get_edgecolor() for axis in figure.axes[1:4]]
    assert colours[0] != colours[1] and colours[0] == colours[2]
    with pytest.raises(ValueError, match="shapes disagree"):
        retrieval_grid(queries, results, relevant[:, :2])


def test_activation_overview_shows_histogram_and_per_bit_share():
    outputs = np.column_stack([np.ones(10), -np.ones(10), np.r_[np.ones(5), -np.ones(5)]])
    figure = activation_overview(outputs)
    heights = [patch.get_height() for patch in figure.axes[1].patches]
    assert heights == [1.0, 0.0, 0.5]


def test_ours_vs_published_has_a_panel_per_source():
    table = pd.DataFrame({"source": ["A", "A", "B"], "method": ["lsh", "lsh", "itq"], "bits": [12, 24, 16],
                          "ours": [0.1, 0.2, 0.3], "published": [0.1, 0.2, 0.25], "metric": ["mAP"] * 3})
    assert len(ours_vs_published(table).axes) == 2


def test_ours_vs_published_never_joins_points_of_two_datasets():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from hashlib_core.plots import ours_vs_published

    rows = [{"source": "table", "dataset": dataset, "method": method, "bits": bits, "ours": 0.1 * bits,
             "published": 0.2 * bits} for dataset in ("cifar10", "mnist") for method in ("lsh", "ksh")
            for bits in (12, 48)]
    figure = ours_vs_published(pd.DataFrame(rows))
    lines = figure.axes[0].get_lines()
    assert len(lines) == 8  # (method, dataset) x (ours, paper)
    assert all(len(line.get_xdata()) == 2 for line in lines)  # each line holds one dataset's two code lengths


def test_ranking_grids_draw_one_grid_per_ranking_of_the_same_queries():
    from types import SimpleNamespace

    import torch

    from hashlib_core.plots import ranking_grids

    images = torch.zeros(6, 1, 8, 8, dtype=torch.uint8)
    run = SimpleNamespace(dataset=SimpleNamespace(images=images, classes=["zero", "one"], name="toy"),
                          labels=np.array([0, 0, 1, 1, 0, 1]))
    figures = ranking_grids(run, [0, 2], {"Hamming": [[1, 2], [3, 4]], "Eq. 3": [[4, 1], [5, 3]]})
    assert [figure._suptitle.get_text() for figure in figures] == ["toy: Hamming, top 2", "toy: Eq. 3, top 2"]
    assert [figure.axes[0].get_ylabel() for figure in figures] == ["zero", "zero"]
    hit, miss = (figures[0].axes[column].spines["top"].get_edgecolor() for column in (1, 2))
    assert hit != miss  # query 0 (class zero): image 1 is relevant, image 2 is not
    with pytest.raises(ValueError, match="one row of results per query"):
        ranking_grids(run, [0, 2], {"Hamming": [[1, 2]]})


def test_retrieval_curves_default_to_every_method_of_the_run_and_reject_unknown_ones():
    from types import SimpleNamespace

    from hashlib_core.plots import retrieval_curves

    def report(level):
        return SimpleNamespace(precision_within_radius=level, ks=np.array([1, 10]),
                               precision_at_k=np.array([level, level / 2]),
                               radius_curve=SimpleNamespace(recall=np.array([0.1, 1.0]),
                                                            precision=np.array([level, 0.1])))

    reports = {(method, bits): report(level) for method, level in (("Ours", 0.9), ("LSH", 0.3)) for bits in (12, 48)}
    run = SimpleNamespace(settings=SimpleNamespace(code_lengths=(12, 48)), dataset=SimpleNamespace(name="toy"),
                          reports=reports)
    figure = retrieval_curves(run)
    assert [[text.get_text() for text in axis.get_legend().get_texts()] for axis in figure.axes] == \
        [["Ours", "LSH"]] * 3
    assert figure.axes[1].get_title() == "toy: precision-recall, 48 bits"
    assert [axis.get_legend().get_texts()[0].get_text() for axis in retrieval_curves(run, ["LSH"]).axes] == ["LSH"] * 3
    with pytest.raises(ValueError, match="not evaluated in this run"):
        retrieval_curves(run, ["KSH"])
