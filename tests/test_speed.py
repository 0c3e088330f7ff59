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
