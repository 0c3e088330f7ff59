"""The front page's scoreboard reads the results files and says, per claim, whether it reproduces."""

from hashlib_core.results import write_results
from hashlib_core.scoreboard import CLAIMS, Claim, comparison_line, scoreboard_markdown, scoreboard_rows


def _results(root, chapter, dataset, values):
    rows = [{"name": "mAP", "method": "X", "bits": bits, "value": value} for bits, value in values.items()]
    write_results(chapter, {"name": dataset}, {"name": "p"}, rows, code_lengths=list(values), stage_seconds={},
                  parameters={"profile": "paper"}, seed=0, directory=root / "results" / chapter)


def test_verdicts_follow_the_numbers_and_missing_runs_are_named(tmp_path):
    claims = [Claim("near", "d", "mAP", "X", {12: 0.60, 48: 0.62}, "T1"),
              Claim("far", "d", "mAP", "X", {12: 0.60, 48: 0.62}, "T1"),
              Claim("absent", "d", "mAP", "X", {12: 0.5}, "T1"),
              Claim("near", "d", "mAP (longer training)", "X", {48: 0.8}, "T1")]  # a file without that metric
    _results(tmp_path, "near", "d", {12: 0.58, 24: 0.1, 48: 0.65})  # 0.02 below at 12 bits: reproduced
    _results(tmp_path, "far", "d", {12: 0.55, 48: 0.61})
    near, far, absent, unmeasured = scoreboard_rows(claims, tmp_path)
    assert near["verdict"] == "reproduced" and near["bits"] == [12, 48] and near["ours"] == [0.58, 0.65]
    assert far["verdict"] == "below by up to 0.050"
    assert absent["verdict"] == "not run yet" and unmeasured["verdict"] == "not run yet"
    table = scoreboard_markdown(claims, tmp_path)
    assert ("| {doc}`X <far>` | d | mAP, 48 bits | 0.610 | 0.620 (T1) | below by up to 0.050 (ours minus paper -0.050 "
            "at 12 bits) |") in table
    assert "| {doc}`X <absent>` | d | mAP | - | - | not run yet |" in table


def test_every_claim_of_the_book_reads_its_committed_results_file():
    for claim, row in zip(CLAIMS, scoreboard_rows(CLAIMS)):
        assert row["verdict"] != "not run yet", row
        # every code length the paper (or the book's target) gives is in our run
        assert row["bits"] == sorted(claim.published) and all(0 < value <= 1 for value in row["ours"]), row


def test_a_claim_on_another_profile_reads_that_profiles_results_file_and_says_how_it_differs(tmp_path):
    claim = Claim("chap", "d", "mAP", "X", {12: 0.60}, "T1", profile="lite0", note="ImageNet stand-in")
    assert str(claim.results_file) == "results/chapter/lite0/d.json".replace("chapter", "chap")
    rows = [{"name": "mAP", "method": "X", "bits": 12, "value": 0.7}]
    write_results("chap", {"name": "d"}, {"name": "p"}, rows, code_lengths=[12], stage_seconds={},
                  parameters={"profile": "lite0"}, seed=0, directory=tmp_path / "results" / "chap" / "lite0")
    (row,) = scoreboard_rows([claim], tmp_path)
    assert row["verdict"] == "reproduced" and row["ours"] == [0.7]
    assert "{doc}`X <chap>` (ImageNet stand-in)" in scoreboard_markdown([claim], tmp_path)


def test_the_scoreboard_links_the_comparison_chapter_once_it_has_results(tmp_path):
    claims = [Claim("near", "d", "mAP", "X", {12: 0.60}, "T1")]
    _results(tmp_path, "near", "d", {12: 0.6})
    assert "side-by-side chapter" not in scoreboard_markdown(claims, tmp_path)
    rows = [{"name": "mAP", "method": method, "bits": bits, "seed": seed, "value": value}
            for method, values in (("A", (0.5, 0.7)), ("B", (0.65, 0.66))) for seed, value in enumerate(values)
            for bits in (16, 64)]
    write_results("comparison", {"name": "cifar10"}, {"name": "cnnh"}, rows, code_lengths=[16, 64], stage_seconds={},
                  parameters={"profile": "paper"}, seed=0, directory=tmp_path / "results" / "comparison")
    line = comparison_line(tmp_path)
    assert "{doc}`the side-by-side chapter <comparison>`" in line and "over 2 seeds" in line
    assert "at 64 bits there: B, 0.655" in line and line in scoreboard_markdown(claims, tmp_path)


def test_a_claim_whose_rows_sit_in_another_datasets_file_names_its_own_dataset(tmp_path):
    claim = Claim("chap", "d", "accuracy (mean over splits)", "X codes", {64: 0.8}, "T5", shown_dataset="flowers")
    rows = [{"name": "accuracy (mean over splits)", "method": "X codes", "bits": 64, "value": 0.75},
            {"name": "accuracy (mean over splits)", "method": "HOG", "value": 0.9}]
    write_results("chap", {"name": "d"}, {"name": "p"}, rows, code_lengths=[16, 64], stage_seconds={},
                  parameters={"profile": "paper"}, seed=0, directory=tmp_path / "results" / "chap")
    (row,) = scoreboard_rows([claim], tmp_path)
    assert row["dataset"] == "flowers" and row["ours"] == [0.75] and row["verdict"] == "below by up to 0.050"
    assert "| {doc}`X codes <chap>` | flowers | accuracy (mean over splits), 64 bits | 0.750 |" in \
        scoreboard_markdown([claim], tmp_path)
