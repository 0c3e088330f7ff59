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
