import numpy as np
import pytest
from hypothesis import given, strategies as st

from conftest import naive_distances, random_bits
from hashlib_core.codes import pack
from hashlib_core.search import (HammingIndex, coarse_to_fine_search, feature_rank, hamming_distance_chunks,
                                 hamming_distances,
                                 hamming_lookup, hamming_rank)


@given(bits=st.integers(1, 140), n_queries=st.integers(1, 6), n_database=st.integers(1, 90),
       seed=st.integers(0, 2**16))
def test_popcount_distances_equal_a_naive_count(bits, n_queries, n_database, seed):
    rng = np.random.default_rng(seed)
    queries, database = random_bits(rng, n_queries, bits), random_bits(rng, n_database, bits)
    np.testing.assert_array_equal(hamming_distances(queries, database), naive_distances(queries, database))


@given(bits=st.sampled_from([4, 12, 24, 48, 64, 65]), k=st.integers(1, 300), seed=st.integers(0, 2**16))
def test_rank_orders_by_distance_then_database_index(bits, k, seed):
    rng = np.random.default_rng(seed)
    queries, database = random_bits(rng, 5, bits), random_bits(rng, 257, bits)
    expected = np.argsort(naive_distances(queries, database), axis=1, kind="stable")
    indices, distances = hamming_rank(queries, database, k)
    np.testing.assert_array_equal(indices, expected[:, :k])
    np.testing.assert_array_equal(distances, np.take_along_axis(naive_distances(queries, database), indices, 1))


@pytest.mark.parametrize("bits", [64, 96])
def test_top_k_over_many_blocks_matches_a_stable_sort(rng, bits):
    # 40,000 clustered codes: the sampled first cut, blocks dismissed by the count-only pass
    # (one-word codes) and candidates found late all take part; ties broken by database index.
    prototypes = random_bits(rng, 4, bits)
    database = prototypes[rng.integers(0, 4, 40_000)] ^ (rng.random((40_000, bits)) < 0.1).astype(np.uint8)
    queries = prototypes[rng.integers(0, 4, 6)] ^ (rng.random((6, bits)) < 0.1).astype(np.uint8)
    expected = np.argsort(naive_distances(queries, database), axis=1, kind="stable")
    for k in (1, 10, 100, 1000):
        np.testing.assert_array_equal(hamming_rank(queries, database, k)[0], expected[:, :k])


def test_top_k_survives_candidate_buffer_growth(rng):
    # 4 bits and 5,000 items: thousands of ties at the cut, forcing compaction and growth.
    queries, database = random_bits(rng, 3, 4), random_bits(rng, 5000, 4)
    expected = np.argsort(naive_distances(queries, database), axis=1, kind="stable")
    np.testing.assert_array_equal(hamming_rank(queries, database, 2500)[0], expected[:, :2500])


def test_random_ties_are_seeded_and_still_sorted_by_distance(rng):
    queries, database = random_bits(rng, 4, 8), random_bits(rng, 300, 8)
    first, distances = hamming_rank(queries, database, 50, ties="random", seed=1)
    again, _ = hamming_rank(queries, database, 50, ties="random", seed=1)
    other, _ = hamming_rank(queries, database, 50, ties="random", seed=2)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert (np.diff(distances, axis=1) >= 0).all()
    np.testing.assert_array_equal(np.take_along_axis(naive_distances(queries, database), first, 1), distances)


@given(radius=st.integers(0, 12), seed=st.integers(0, 2**16))
def test_lookup_returns_every_item_within_the_inclusive_radius(radius, seed):
    rng = np.random.default_rng(seed)
    queries, database = random_bits(rng, 4, 12), random_bits(rng, 200, 12)
    naive = naive_distances(queries, database)
    for row, (indices, distances) in enumerate(hamming_lookup(queries, database, radius)):
        inside = np.flatnonzero(naive[row] <= radius)
        expected = inside[np.argsort(naive[row, inside], kind="stable")]
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_array_equal(distances, naive[row, expected])


@pytest.mark.parametrize("bits", [8, 16, 48, 64, 128])
def test_faiss_backend_returns_the_same_neighbours_in_the_same_order(rng, bits):
    queries, database = random_bits(rng, 40, bits), random_bits(rng, 3000, bits)
    numba_index = HammingIndex(bits).add(database[:1000]).add(database[1000:])
    faiss_index = HammingIndex(bits, backend="faiss").add(database[:1000]).add(database[1000:])
    for k in (1, 10, 100, 3000):
        numba_distances, numba_indices = numba_index.search(queries, k)
        faiss_distances, faiss_indices = faiss_index.search(queries, k)
        np.testing.assert_array_equal(faiss_indices, numba_indices)
        np.testing.assert_array_equal(faiss_distances, numba_distances)


def test_faiss_backend_needs_whole_bytes():
    with pytest.raises(ValueError, match="multiple of 8"):
        HammingIndex(12, backend="faiss")


def test_coarse_to_fine_with_the_whole_database_as_pool_equals_exhaustive_feature_ranking(rng):
    codes, features = random_bits(rng, 120, 16), rng.normal(size=(120, 7)).astype(np.float32)
    results = coarse_to_fine_search(codes[:5], codes, features[:5], features, k=20, pool_size=120)
    expected, _ = feature_rank(features[:5], features, 20)
    np.testing.assert_array_equal(np.stack(results), expected)


def test_coarse_to_fine_with_pool_k_reranks_the_hamming_top_k(rng):
    codes, features = random_bits(rng, 300, 16), rng.normal(size=(300, 7)).astype(np.float32)
    results = coarse_to_fine_search(codes[:5], codes, features[:5], features, k=10, pool_size=10)
    top, _ = hamming_rank(codes[:5], codes, 10)
    for row, result in enumerate(results):
        order = np.argsort(((features[top[row]] - features[row]) ** 2).sum(axis=1), kind="stable")
        np.testing.assert_array_equal(result, top[row][order])


def test_coarse_to_fine_by_radius_only_returns_items_within_radius(rng):
    codes, features = random_bits(rng, 300, 10), rng.normal(size=(300, 4)).astype(np.float32)
    results = coarse_to_fine_search(codes[:3], codes, features[:3], features, k=1000, radius=2)
    naive = naive_distances(codes[:3], codes)
    for row, result in enumerate(results):
        assert sorted(result.tolist()) == np.flatnonzero(naive[row] <= 2).tolist()


def test_feature_rank_cosine_and_top_k_agree_with_full_sort(rng):
    queries, database = rng.normal(size=(4, 6)), rng.normal(size=(50, 6))
    for metric in ("euclidean", "cosine"):
        full, _ = feature_rank(queries, database, metric=metric)
        top, _ = feature_rank(queries, database, 7, metric=metric)
        np.testing.assert_array_equal(top, full[:, :7])


@pytest.mark.parametrize("call, message", [
    (lambda q, d: hamming_rank(q, d[:, :8]), "code lengths differ"),
    (lambda q, d: hamming_rank(q, d[:0]), "database is empty"),
    (lambda q, d: hamming_rank(q, d, 0), "positive integer"),
    (lambda q, d: hamming_rank(q * 3, d), "only 0 and 1"),
    (lambda q, d: hamming_lookup(q, d, -1), "non-negative"),
    (lambda q, d: hamming_rank(q, d, 5, ties="sorted"), "ties must be"),
    (lambda q, d: HammingIndex(16).search(q, 3), "index is empty"),
    (lambda q, d: HammingIndex(8).add(d), "holds 8-bit codes"),
    (lambda q, d: coarse_to_fine_search(q, d, np.zeros((2, 3)), np.zeros((20, 3)), 5), "exactly one"),
    (lambda q, d: coarse_to_fine_search(q, d, np.full((2, 3), np.nan), np.zeros((20, 3)), 5, pool_size=4),
     "NaN"),
    (lambda q, d: coarse_to_fine_search(q, d, np.zeros((3, 3)), np.zeros((20, 3)), 5, pool_size=4),
     "disagree in length"),
])
def test_bad_input_gets_a_clear_error(rng, call, message):
    queries, database = random_bits(rng, 2, 16), random_bits(rng, 20, 16)
    with pytest.raises(ValueError, match=message):
        call(queries, database)


def test_packed_and_bit_matrix_inputs_give_the_same_ranking(rng):
    queries, database = random_bits(rng, 3, 24), random_bits(rng, 100, 24)
    np.testing.assert_array_equal(hamming_rank(pack(queries), pack(database), 9)[0],
                                  hamming_rank(queries, database, 9)[0])


def test_distance_chunks_cover_the_matrix_within_the_memory_cap(rng):
    queries, database = random_bits(rng, 37, 20), random_bits(rng, 50, 20)
    chunks = list(hamming_distance_chunks(queries, database, max_bytes=2 * 50 * 8))
    assert [rows.stop - rows.start for rows, _ in chunks] == [8, 8, 8, 8, 5]
    np.testing.assert_array_equal(np.concatenate([block for _, block in chunks]),
                                  naive_distances(queries, database))
    with pytest.raises(ValueError, match="hamming_distance_chunks"):
        hamming_distances(queries, database, max_bytes=100)


def test_index_joins_many_small_adds(rng):
    database = random_bits(rng, 200, 16)
    index = HammingIndex(16)
    for row in range(200):
        index.add(database[row:row + 1])
    assert len(index) == 200
    np.testing.assert_array_equal(index.search(database[:3], 5)[1], hamming_rank(database[:3], database, 5)[0])


def test_ranking_everything_refuses_an_output_that_would_not_fit_in_memory():
    from hashlib_core.search import feature_rank

    queries, database = pack(np.zeros((2000, 8), np.uint8)), pack(np.zeros((1000, 8), np.uint8))
    with pytest.raises(ValueError, match="2,000 queries x 1,000 results needs .*smaller k"):
        hamming_rank(queries, database, max_bytes=1 << 20)
    assert hamming_rank(queries, database, k=5, max_bytes=1 << 20)[0].shape == (2000, 5)
    with pytest.raises(ValueError, match="feature_rank of 2,000 queries"):
        feature_rank(np.zeros((2000, 4), np.float32), np.zeros((1000, 4), np.float32), max_bytes=1 << 20)
