"""TwoStepIndex: the Hamming pool complete under ties, re-ranked by cosine similarity."""

import numpy as np
import pytest

from hashlib_core.codes import pack
from hashlib_core.two_step import TwoStepIndex


def _reference(query_bits, query_features, bits, features, k, pool):
    """Brute force: every item within the pool-th nearest distance, top k by cosine, ties by index."""
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    results, sizes = [], []
    for code, feature in zip(query_bits, query_features):
        distances = np.sum(bits != code, axis=1)
        radius = np.sort(distances)[min(pool, len(bits)) - 1]
        candidates = np.flatnonzero(distances <= radius)
        scores = unit[candidates] @ (feature / np.linalg.norm(feature))
        results.append(candidates[np.lexsort((candidates, -scores))[:k]])
        sizes.append(len(candidates))
    return results, np.array(sizes)


@pytest.mark.parametrize("n_bits, pool", [(8, 1), (8, 30), (12, 200), (70, 5)])
def test_search_matches_brute_force_on_clustered_codes(n_bits, pool):
    rng = np.random.default_rng(n_bits + pool)
    centres = rng.integers(0, 2, (5, n_bits), dtype=np.uint8)
    bits = centres[rng.integers(0, 5, 400)] ^ (rng.random((400, n_bits)) < 0.05).astype(np.uint8)
    features = rng.standard_normal((400, 16)).astype(np.float32)
    query_bits = centres[rng.integers(0, 5, 40)] ^ (rng.random((40, n_bits)) < 0.05).astype(np.uint8)
    query_features = rng.standard_normal((40, 16)).astype(np.float32)
    index = TwoStepIndex(pack(bits), features)
    found, sizes = index.search(pack(query_bits), query_features, 10, pool)
    expected, expected_sizes = _reference(query_bits, query_features, bits, features, 10, pool)
    assert np.array_equal(sizes, expected_sizes)
    assert all(np.array_equal(a, b) for a, b in zip(found, expected))
    assert (sizes >= min(pool, 400)).all()


def test_equal_scores_keep_database_order_and_the_pool_does_not_depend_on_it():
    bits = np.array([[0, 0], [1, 1], [0, 0], [0, 1], [0, 0], [0, 0]], dtype=np.uint8)
    features = np.tile(np.array([[1.0, 0.0, 0.0]], dtype=np.float32), (6, 1))
    features[3] = [0.0, 1.0, 0.0]
    index = TwoStepIndex(pack(bits), features)
    query = pack(np.array([[0, 0]], dtype=np.uint8))
    found, sizes = index.search(query, np.array([[1.0, 0.0, 0.0]], dtype=np.float32), 3, pool=2)
    assert sizes.tolist() == [4] and found[0].tolist() == [0, 2, 4]  # pool 2 holds all four tied items
    found, sizes = index.search(query, np.array([[0.0, 1.0, 0.0]], dtype=np.float32), 2, pool=5)
    assert sizes.tolist() == [5] and found[0].tolist() == [3, 0]  # radius 1 adds item 3, the best match


def test_a_pool_beyond_the_database_is_the_whole_database():
    rng = np.random.default_rng(0)
    bits, features = rng.integers(0, 2, (50, 16), dtype=np.uint8), rng.standard_normal((50, 4)).astype(np.float32)
    found, sizes = TwoStepIndex(pack(bits), features).search(pack(bits[:3]), features[:3], 60, pool=1000)
    assert sizes.tolist() == [50] * 3 and all(len(result) == 50 for result in found)
    assert [result[0] for result in found] == [0, 1, 2]  # each query's own row is its most similar


def test_bad_input_says_what_is_wrong():
    bits, features = np.zeros((4, 8), dtype=np.uint8), np.ones((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="one feature row per code"):
        TwoStepIndex(pack(bits), features[:3])
    with pytest.raises(ValueError, match="NaN"):
        TwoStepIndex(pack(bits), np.full((4, 3), np.nan, dtype=np.float32))
    index = TwoStepIndex(pack(bits), features)
    with pytest.raises(ValueError, match="pool must be a positive integer"):
        index.search(pack(bits[:1]), features[:1], 2, pool=0)
    with pytest.raises(ValueError, match="code lengths differ"):
        index.search(pack(np.zeros((1, 16), dtype=np.uint8)), features[:1], 2, pool=2)
    with pytest.raises(ValueError, match="3-d feature row per query"):
        index.search(pack(bits[:1]), np.ones((1, 5), dtype=np.float32), 2, pool=2)
