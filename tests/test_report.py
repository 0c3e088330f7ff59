"""Where a chapter's results files go: the paper profile's own folder, other profiles beside it, smoke nowhere."""

from types import SimpleNamespace

from hashlib_core import report


def test_only_the_paper_profile_writes_the_chapters_main_results_files(monkeypatch, tmp_path):
    written = []

    def fake_write(run, profile, *, directory=None, **options):
        written.append((profile, directory))
        return tmp_path / "x.json"

    monkeypatch.setattr(report, "write_run_results", fake_write)
    monkeypatch.setattr(report, "repository_root", lambda: tmp_path)
    run = SimpleNamespace(method=SimpleNamespace(chapter="dlbhc"), stages={"train": 60.0})
    report.write_chapter_results({"cifar10": run}, "paper")
    report.write_chapter_results({"cifar10": run}, "lite0")
    assert report.write_chapter_results({"cifar10": run}, "smoke-lite0") == []
    assert written == [("paper", None), ("lite0", tmp_path / "results" / "dlbhc" / "lite0")]


def test_training_table_drops_empty_and_single_valued_columns_and_says_the_single_values():
    from types import SimpleNamespace

    from hashlib_core.report import training_table

    def row(bits, minutes, accuracy=None):
        return {"network": "Ours", "bits": bits, "stage": "dsh", "epochs": 4, "minutes": minutes,
                "images/s": 1234.56, "last loss": 0.12345, "last training accuracy": accuracy, "resumed epochs": 4}

    runs = {"cifar10": SimpleNamespace(training_table=lambda: [row(12, 4.183), row(48, 4.0)])}
    styled = training_table(runs)
    assert list(styled.data.columns) == ["dataset", "network", "bits", "epochs", "minutes", "images/s", "last loss"]
    assert styled.caption == "every row: stage dsh; resumed epochs 4"
    html = styled.to_html()
    assert "4.2" in html and "1,235" in html and "0.123" in html and "4.183" not in html
    runs["mnist"] = SimpleNamespace(training_table=lambda: [{**row(12, 1.0, 0.9), "stage": "pre", "resumed epochs": 0}])
    mixed = training_table(runs)
    assert {"stage", "last training accuracy", "resumed epochs"} <= set(mixed.data.columns)
    assert mixed.caption is None
