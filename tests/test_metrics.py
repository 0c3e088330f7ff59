import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st
from sklearn.metrics import average_precision_score

from conftest import naive_distances, random_bits
from hashlib_core.metrics import (average_precision, hamming_average_precision, hamming_map,
                                  hamming_precision_recall_at_k, hamming_radius_curve, precision_at_k,
                                  precision_within_radius, recall_at_k, relevance_matrix)

# One query (code 0000) and four database items at distances 1, 0, 2, 1; items 0 and 2 relevant.
QUERY = np.zeros((1, 4), dtype=np.uint8)
DATABASE = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0]], dtype=np.uint8)
QUERY_LABEL, DATABASE_LABELS = np.array([3]), np.array([3, 1, 3, 2])


def test_average_precision_by_hand():
    ranked = np.array([[1, 0, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    np.testing.assert_allclose(average_precision(ranked), [(1 + 2 / 3) / 2, 0.0])
    np.testing.assert_allclose(average_precision(ranked, k=2), [1.0, 0.0])  # normalised by retrieved relevant


def test_precision_and_recall_at_k_by_hand():
    ranked = np.array([[1, 0, 1, 0], [0, 1, 0, 0]], dtype=bool)
    np.testing.assert_allclose(precision_at_k(ranked, [1, 2, 4]), [0.5, 0.5, 0.375])
    np.testing.assert_allclose(recall_at_k(ranked, [4, 0], [1, 4]), [0.125, 0.25])  # no relevant -> recall 0


def test_hamming_map_by_hand_with_index_and_expected_ties():
    # index order: item1 (d0, no), item0 (d1, yes), item3 (d1, no), item2 (d2, yes) -> (1/2 + 2/4) / 2
    assert hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS) == pytest.approx(0.5)
    # the tie at d1 resolved the other way gives (1/3 + 2/4) / 2; the expectation is the average
    expected = (0.5 + (1 / 3 + 2 / 4) / 2) / 2
    assert hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, ties="expected") == pytest.approx(expected)
    assert hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, k=2) == pytest.approx(0.5)


def test_query_without_relevant_items_scores_zero_and_stays_in_the_mean():
    labels = np.array([3, 9])
    queries = np.zeros((2, 4), dtype=np.uint8)
    ap = hamming_average_precision(queries, DATABASE, labels, DATABASE_LABELS)
    np.testing.assert_allclose(ap, [0.5, 0.0])
    assert hamming_map(queries, DATABASE, labels, DATABASE_LABELS) == pytest.approx(0.25)


@given(seed=st.integers(0, 2**16), n=st.integers(2, 65))
def test_agrees_with_sklearn_average_precision_when_there_are_no_ties(seed, n):
    rng = np.random.default_rng(seed)
    distances = rng.permutation(65)[:n]  # distinct distances, so no ties
    database = (np.arange(64)[None, :] < distances[:, None]).astype(np.uint8)
    labels = rng.integers(0, 3, size=n)
    query = np.zeros((1, 64), dtype=np.uint8)
    relevant = labels == 0
    if not relevant.any():
        return
    expected = average_precision_score(relevant, -distances)
    for ties in ("index", "expected", "random"):
        assert hamming_map(query, database, [0], labels, ties=ties) == pytest.approx(expected)


def _brute_force_expected_ap(distances, relevant):
    """Average AP over every permutation of the database used as the tie-break order."""
    values = []
    for order in itertools.permutations(range(len(distances))):
        tie_rank = np.empty(len(distances), int)
        tie_rank[list(order)] = np.arange(len(distances))
        ranking = np.lexsort((tie_rank, distances))
        values.append(average_precision(relevant[ranking][None, :])[0])
    return np.mean(values)


@given(seed=st.integers(0, 2**16), n=st.integers(1, 6))
def test_tie_aware_map_is_the_exact_expectation_over_tie_orders(seed, n):
    rng = np.random.default_rng(seed)
    query, database = random_bits(rng, 1, 2), random_bits(rng, n, 2)
    labels = rng.integers(0, 2, size=n)
    relevant = labels == 1
    expected = _brute_force_expected_ap(naive_distances(query, database)[0], relevant)
    assert hamming_map(query, database, [1], labels, ties="expected") == pytest.approx(expected)


@given(seed=st.integers(0, 2**16), k=st.one_of(st.none(), st.integers(1, 120)))
def test_database_permutation_does_not_change_tie_aware_map(seed, k):
    rng = np.random.default_rng(seed)
    queries, database = random_bits(rng, 6, 6), random_bits(rng, 100, 6)
    query_labels, database_labels = rng.integers(0, 4, 6), rng.integers(0, 4, 100)
    permutation = rng.permutation(100)
    before = hamming_map(queries, database, query_labels, database_labels, k, ties="expected")
    after = hamming_map(queries, database[permutation], query_labels, database_labels[permutation], k,
                        ties="expected")
    assert after == pytest.approx(before)


@given(seed=st.integers(0, 2**16), k=st.integers(1, 150))
def test_index_order_hamming_metrics_equal_metrics_of_the_stable_ranking(seed, k):
    rng = np.random.default_rng(seed)
    queries, database = random_bits(rng, 8, 8), random_bits(rng, 150, 8)
    query_labels, database_labels = rng.integers(0, 5, 8), rng.integers(0, 5, 150)
    ranking = np.argsort(naive_distances(queries, database), axis=1, kind="stable")
    relevant = relevance_matrix(query_labels, database_labels)
    ranked = np.take_along_axis(relevant, ranking, 1)
    assert hamming_map(queries, database, query_labels, database_labels, k) == \
        pytest.approx(average_precision(ranked, k).mean())
    precision, recall = hamming_precision_recall_at_k(queries, database, query_labels, database_labels, [1, k])
    np.testing.assert_allclose(precision, precision_at_k(ranked, [1, k]))
    np.testing.assert_allclose(recall, recall_at_k(ranked, relevant.sum(axis=1), [1, k]))


def test_random_ties_are_a_seeded_choice_between_tie_orders():
    values = {round(hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, ties="random", seed=s), 6)
              for s in range(20)}
    assert values == {0.5, round((1 / 3 + 2 / 4) / 2, 6)}


def test_radius_curve_by_hand_and_empty_lookups_count_as_zero():
    curve = hamming_radius_curve(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS)
    # radius 0: {item1} no hit; radius 1: {1, 0, 3} one hit; radius 2+: all four, two hits
    np.testing.assert_allclose(curve.precision, [0, 1 / 3, 1 / 2, 1 / 2, 1 / 2])
    np.testing.assert_allclose(curve.recall, [0, 1 / 2, 1, 1, 1])
    far_query = np.ones((1, 4), dtype=np.uint8)  # distances 3, 4, 2, 3: nothing within radius 1
    assert precision_within_radius(far_query, DATABASE, QUERY_LABEL, DATABASE_LABELS, radius=1) == 0.0
    far_curve = hamming_radius_curve(far_query, DATABASE, QUERY_LABEL, DATABASE_LABELS)
    np.testing.assert_allclose(far_curve.empty_fraction, [1, 1, 0, 0, 0])


def test_radius_curve_matches_a_naive_lookup(rng):
    queries, database = random_bits(rng, 10, 12), random_bits(rng, 400, 12)
    query_labels, database_labels = rng.integers(0, 3, 10), rng.integers(0, 3, 400)
    naive = naive_distances(queries, database)
    relevant = relevance_matrix(query_labels, database_labels)
    curve = hamming_radius_curve(queries, database, query_labels, database_labels)
    for radius in (0, 2, 5, 12):
        found = naive <= radius
        precision = np.where(found.sum(1) > 0, (found & relevant).sum(1) / np.maximum(found.sum(1), 1), 0)
        assert curve.precision[radius] == pytest.approx(precision.mean())
        assert curve.recall[radius] == pytest.approx(((found & relevant).sum(1) / relevant.sum(1)).mean())


def test_multi_label_relevance_means_sharing_at_least_one_label():
    query_labels = np.array([[1, 0, 1], [0, 0, 0]])
    database_labels = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    assert relevance_matrix(query_labels, database_labels).tolist() == [[True, False, True], [False] * 3]
    codes = np.array([[0, 0], [0, 1], [1, 1]], dtype=np.uint8)
    # query 0 (code 00): ranking 0 (rel), 1 (not), 2 (rel) -> (1 + 2/3) / 2
    ap = hamming_average_precision(np.zeros((2, 2), np.uint8), codes, query_labels, database_labels)
    np.testing.assert_allclose(ap, [(1 + 2 / 3) / 2, 0.0])


def test_more_than_64_classes_use_several_label_words():
    labels = np.arange(130)
    codes = ((np.arange(130)[:, None] >> np.arange(8)) & 1).astype(np.uint8)  # 130 distinct codes
    ap = hamming_average_precision(codes, codes, labels, labels)
    np.testing.assert_allclose(ap, 1.0)  # each item is its own only relevant match, at distance 0


@pytest.mark.parametrize("call, message", [
    (lambda: hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS[:3]), "database_labels has 3 rows"),
    (lambda: hamming_map(QUERY, DATABASE, [1, 2], DATABASE_LABELS), "query_labels has 2 rows"),
    (lambda: hamming_map(QUERY, DATABASE[:, :3], QUERY_LABEL, DATABASE_LABELS), "code lengths differ"),
    (lambda: hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, k=0), "positive integers"),
    (lambda: hamming_map(QUERY, DATABASE[:0], QUERY_LABEL, DATABASE_LABELS[:0]), "database is empty"),
    (lambda: hamming_map(QUERY, DATABASE * 2, QUERY_LABEL, DATABASE_LABELS), "only 0 and 1"),
    (lambda: hamming_map(QUERY, DATABASE, [0.5], DATABASE_LABELS), "integer class ids"),
    (lambda: hamming_map(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, ties="best"), "ties must be"),
    (lambda: precision_at_k(np.ones((2, 3), bool), [4]), "exceed the ranking depth"),
    (lambda: precision_within_radius(QUERY, DATABASE, QUERY_LABEL, DATABASE_LABELS, radius=-1), "non-negative"),
    (lambda: recall_at_k(np.ones((2, 3), bool), [1], [1]), "one entry per query"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
