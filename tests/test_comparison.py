"""The comparison chapter's study: settings derived from the chapters, caching, costs, tables and sentences."""

from types import SimpleNamespace

import numpy as np
import pytest

from hashlib_core.methods.cnnbh import PROFILES as CNNBH_PROFILES
from hashlib_core.nets.cnnbh import cifar_notation
from hashlib_core.studies import comparison as study
from hashlib_core.studies.comparison import ComparisonSettings, Entrant


def _settings(**changes):
    base = dict(dataset="cifar10", source_profile="paper", source_dataset="cifar10", code_lengths=(16, 64),
                seeds=(0, 1), entrants=(Entrant("cnnbh", {"recipe": 3}),), baselines=(), feature="gist512",
                budget_minutes=1.0)
    return ComparisonSettings(**{**base, **changes})


def test_an_entrant_keeps_its_chapter_settings_but_the_protocol_lengths_and_epochs():
    settings = study.entrant_settings(Entrant("cnnbh", {"recipe": 3}), _settings())
    chapter = CNNBH_PROFILES["paper"]["cifar10"]
    assert settings.protocol == "cnnh" and settings.code_lengths == (16, 64) and settings.recipe.epochs == 3
    assert settings.recipe.lr == chapter.recipe.lr and settings.recipe.weight_decay == chapter.recipe.weight_decay
    assert settings.baselines == () and settings.map_depth == 1000 and settings.report_ks == (100,)
    assert chapter.recipe.epochs == 600 and chapter.code_lengths == (12, 24, 32, 48)  # the chapter's profile untouched


def test_every_profile_builds_settings_for_every_entrant():
    for comparison in study.PROFILES.values():
        frame = study.settings_frame(comparison)
        assert len(frame) == len(comparison.entrants) == 5
        for entrant in comparison.entrants:
            settings = study.entrant_settings(entrant, comparison)
            for name, epochs in entrant.epochs.items():
                assert getattr(settings, name).epochs == epochs
            for name, value in entrant.changes.items():
                assert getattr(settings, name) == value
    assert len(study.PROFILES["paper"].seeds) >= 3 and study.PROFILES["paper"].code_lengths == (16, 32, 48, 64)


def test_bad_entrants_and_settings_are_refused_with_what_to_do():
    with pytest.raises(ValueError, match="Entrant.chapter must be one of"):
        Entrant("nope", {"recipe": 1})
    with pytest.raises(ValueError, match="positive integers"):
        Entrant("cnnbh", {"recipe": 0})
    with pytest.raises(ValueError, match=r"no recipe\(s\) \['pretrain'\]"):
        study.entrant_settings(Entrant("cnnbh", {"pretrain": 2}), _settings())
    with pytest.raises(ValueError, match="has no 'paper' settings for 'mnist5k'"):
        study.entrant_settings(Entrant("cnnbh", {"recipe": 2}), _settings(source_dataset="mnist5k"))
    with pytest.raises(ValueError, match="seeds must be distinct"):
        _settings(seeds=(0, 0))
    with pytest.raises(ValueError, match="entrants must be a non-empty"):
        _settings(entrants=())


def test_cnnbh_codes_longer_than_table_2_keep_its_48_bit_dropout():
    assert "H64-D0.5-H10" in cifar_notation(64)
    assert "H16-D0.3-H10" in cifar_notation(16)
    with pytest.raises(ValueError, match="pass dropout"):
        cifar_notation(20)


def test_a_finished_result_is_computed_once_and_a_damaged_one_is_named(tmp_path):
    calls = []
    path = tmp_path / "comparison" / "x.json"

    def compute():
        calls.append(1)
        return [{"name": "mAP", "value": 0.5}]

    assert study._cached(path, compute) == ([{"name": "mAP", "value": 0.5}], None)  # computed now
    rows, seconds = study._cached(path, compute)  # read back, with what the computation took
    assert rows == [{"name": "mAP", "value": 0.5}] and isinstance(seconds, float) and seconds >= 0
    assert len(calls) == 1
    path.write_text("{broken")
    with pytest.raises(ValueError, match="delete it to measure again"):
        study._cached(path, compute)


def test_training_core_minutes_count_threads_and_resumed_epochs(monkeypatch):
    monkeypatch.setattr(study.torch, "get_num_threads", lambda: 2)
    monkeypatch.setattr(study, "available_cores", lambda: 2)
    epochs = lambda *seconds: SimpleNamespace(history=[{"seconds": value} for value in seconds], seconds=0.0)
    run = SimpleNamespace(pretrained=epochs(30, 30), networks={16: epochs(20, 10), 64: epochs(30)}, workers=2)
    # pre-training: 60 s on 2 threads; two networks side by side on one core each: 60 s
    assert study._training_core_minutes(run) == pytest.approx(3.0)
    run = SimpleNamespace(pretrained=None, networks={16: epochs(60)}, workers=1)
    assert study._training_core_minutes(run) == pytest.approx(2.0)


def _rows():
    rows = []
    values = {"A": (0.80, 0.82, 0.81), "B": (0.60, 0.70, 0.65), "C": (0.66, 0.61, 0.64)}
    for method, seeds in values.items():
        for seed, value in enumerate(seeds):
            rows.append({"name": "mAP", "method": method, "bits": 64, "seed": seed, "value": value})
            rows.append({"name": "mAP (expected ties)", "method": method, "bits": 64, "seed": seed,
                         "value": value + (0.05 if method == "B" else 0.0)})
            rows.append({"name": "training core-minutes", "method": method, "bits": None, "seed": seed,
                         "value": {"A": 8.0, "B": 1.0, "C": 4.0}[method]})
            rows.append({"name": "training core-minutes per code length", "method": method, "bits": None,
                         "seed": seed, "value": {"A": 2.0, "B": 0.25, "C": 1.0}[method]})
    return rows


def test_tables_give_mean_and_spread_over_seeds():
    table = study.summary_frame(_rows(), "mAP")
    assert list(table.index) == ["A", "B", "C"]
    assert table.loc["A", 64] == f"{0.81:.3f} ± {np.std([0.80, 0.82, 0.81], ddof=1):.3f}"
    with pytest.raises(ValueError, match="no 'precision@100' rows"):
        study.summary_frame(_rows(), "precision@100")
    costs = study.cost_frame(_rows())
    assert costs.loc["B", "training core-minutes"] == 1.0


def test_the_sentences_say_what_the_rows_hold():
    text = study.ordering_text(_rows(), 64)
    # A is above B and C at every seed; B and C overlap
    assert text.startswith("mAP at 64 bits, best first: A (0.810) > B (0.650) ~ C (0.637)")
    assert "3 seeds" in text
    assert "B buys the most" in study.best_per_minute_text(_rows(), 64)
    assert "highest mAP is A's" in study.best_per_minute_text(_rows(), 64)
    frame = study.tie_shift_frame(_rows())
    assert list(frame["method"].cat.categories) == ["A", "B", "C"] and len(frame) == 9
    assert frame[frame["method"] == "B"]["shift"].to_numpy() == pytest.approx([0.05] * 3)
    shift = study.tie_shift_text(_rows())
    assert "+0.0500 (B)" in shift and "largest move in absolute value is 0.0500 (B)" in shift
    with pytest.raises(ValueError, match="no deep method"):
        study.best_per_minute_text(_rows(), 16)


def test_the_scale_sentence_picks_the_fastest_index_that_reaches_the_recall():
    rows = [{"index": "numba scan (exhaustive)", "database": 10, "queries": 5, "search s": 2.0, "recall@100": 1.0,
             "tie-aware recall@100": 1.0, "speed-up over scan": 1.0},
            {"index": "ivf", "nlist": 8, "nprobe": 2, "database": 10, "queries": 5, "search s": 0.1,
             "recall@100": 0.5, "tie-aware recall@100": 0.9, "speed-up over scan": 20.0},
            {"index": "ivf", "nlist": 8, "nprobe": 4, "database": 10, "queries": 5, "search s": 0.5,
             "recall@100": 0.8, "tie-aware recall@100": 0.97, "speed-up over scan": 4.0}]
    text = study.scale_text(rows)
    assert "ivf (nlist 8, nprobe 4)" in text and "4.0x (target 5x: not met)" in text
    assert "No approximate index reached" in study.scale_text(rows, recall=0.99)


def test_search_seconds_times_a_grown_database():
    from hashlib_core.codes import pack

    rng = np.random.default_rng(0)
    codes = pack(rng.integers(0, 2, (50, 32)).astype(bool))
    assert study.search_seconds(codes, codes[:5], 500, repeats=1) > 0


def test_learned_codes_come_from_an_entrants_run_on_the_comparisons_protocol(monkeypatch):
    smoke = study.PROFILES["smoke"]
    with pytest.raises(ValueError, match="no entrant 'alexnet'"):
        study.learned_codes(smoke, "alexnet", 16)
    with pytest.raises(ValueError, match="code lengths"):
        study.learned_codes(smoke, "cnnbh", 12)
    seen = {}

    def fake_run(method, dataset, settings, *, seed, progress, workers):
        seen.update(method=method.name, lengths=settings.code_lengths, protocol=settings.protocol, seed=seed)
        return SimpleNamespace(method=method, part_codes=lambda name, bits, part: (name, bits, part))

    monkeypatch.setattr(study, "run_method", fake_run)
    database, queries = study.learned_codes(smoke, "cnnbh", 32, seed=1, progress=False)
    assert database == ("CNNBH", 32, "database") and queries == ("CNNBH", 32, "query")
    assert seen == {"method": "CNNBH", "lengths": smoke.code_lengths, "protocol": "cnnh", "seed": 1}


def test_a_changed_recipe_still_takes_the_entrants_epochs():
    """Li & Li's chapter moved to a wider bf16 pre-training; the comparison keeps the network its budget was set for."""
    from hashlib_core.settings import Recipe

    entrant = Entrant("lili", {"pretrain": 7, "recipe": 2}, {"pretrain": Recipe(epochs=99, batch_size=64)})
    settings = study.entrant_settings(entrant, _settings(entrants=(entrant,)))
    assert settings.pretrain == Recipe(epochs=7, batch_size=64) and settings.recipe.epochs == 2
    lili = next(entrant for entrant in study.PROFILES["paper"].entrants if entrant.chapter == "lili")
    budgeted = study.entrant_settings(lili, study.PROFILES["paper"])
    assert budgeted.backbone.width == 24 and budgeted.pretrain.precision == "fp32" and budgeted.pretrain.epochs == 10
