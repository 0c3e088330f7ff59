import pytest

from hashlib_core.speed import best_seconds, search_speed


def test_search_speed_times_codes_and_features_per_comparison_and_per_pair():
    rows = search_speed(code_bits=(64,), feature_dims=(32,), n_database=500, n_queries=4, repeats=1)
    methods = {(row["method"], row["representation"]) for row in rows}
    assert ("packed popcount (numba)", "64-bit code") in methods
    assert ("Euclidean, numpy BLAS", "32-d float32") in methods
    assert {row["kind"] for row in rows} == {"scan", "pair"}
    assert all(row["ns per comparison"] > 0 and row["seconds per query"] > 0 for row in rows)
    sizes = {row["representation"]: row["bytes per item"] for row in rows}
    assert sizes == {"64-bit code": 8, "32-d float32": 128}


def test_best_seconds_keeps_the_fastest_call():
    calls = []
    assert best_seconds(lambda: calls.append(1), repeats=3) >= 0 and len(calls) == 4  # one warm-up


def test_search_speed_rejects_empty_sizes():
    with pytest.raises(ValueError, match="n_database"):
        search_speed(n_database=1)


def test_a_speed_study_keeps_its_rows_seconds_ratios_and_results_rows():
    from hashlib_core.speed import speed_study

    study = speed_study(32, 400, code_bits=(64,), reference={"paper: 971x": 971.3})
    assert study.seconds > 0 and study.n_database == 400 and study.feature_dim == 32
    assert {row["representation"] for row in study.rows} >= {"64-bit code", "32-d float32", "4096-d float32"}
    assert study.ratios["paper: 971x"] == 971.3
    assert any(key.startswith("scan: numba 64-bit popcount vs numpy BLAS 32-d") for key in study.ratios)
    assert all(value > 0 for value in study.ratios.values())
    rows = study.results_rows()
    assert len(rows) == len(study.rows) and all(row["n_database"] == 400 for row in rows)
