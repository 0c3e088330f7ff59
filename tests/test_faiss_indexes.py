"""The book's codes in faiss binary indexes: exact kinds agree with our scan, approximate ones are scored."""

import numpy as np
import pytest

pytest.importorskip("faiss")

from hashlib_core.codes import pack  # noqa: E402
from hashlib_core.faiss_indexes import faiss_binary_index, recall_at_k, sharded_index  # noqa: E402
from hashlib_core.search import hamming_rank  # noqa: E402


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 2, (20, 64), dtype=np.uint8)
    bits = centres[rng.integers(0, 20, 3000)] ^ (rng.random((3000, 64)) < 0.05)
    return pack(bits.astype(np.uint8))


def test_flat_and_sharded_indexes_return_the_exact_distances(codes):
    queries = codes[:50]
    exact_ids, exact_distances = hamming_rank(queries, codes, 10)
    for index in (faiss_binary_index(codes, "flat"), sharded_index(codes, 3)):
        distances, ids = index.search(queries.to_bytes(), 10)
        assert index.ntotal == len(codes)
        assert np.array_equal(np.sort(distances, axis=1), np.sort(exact_distances, axis=1))
        assert recall_at_k(ids, exact_ids, 1) >= 0.9  # ties may be ordered differently


@pytest.mark.parametrize("kind, options", [("ivf", {"nlist": 20, "nprobe": 20}), ("hash", {"hash_bits": 8, "flips": 8}),
                                           ("multihash", {"hash_bits": 8, "tables": 8, "flips": 2})])
def test_approximate_indexes_hold_every_code_and_find_near_neighbours(codes, kind, options):
    index = faiss_binary_index(codes, kind, **options)
    exact_ids, _ = hamming_rank(codes[:50], codes, 10)
    _, ids = index.search(codes[:50].to_bytes(), 10)
    assert index.ntotal == len(codes)
    assert recall_at_k(ids, exact_ids, 10) > 0.5


def test_bad_requests_say_what_to_do(codes):
    with pytest.raises(ValueError, match="kind must be one of"):
        faiss_binary_index(codes, "lsh")
    with pytest.raises(ValueError, match="multiple of 8 bits"):
        faiss_binary_index(pack(np.zeros((4, 12), dtype=np.uint8)))
    with pytest.raises(ValueError, match="need 80 bits"):
        faiss_binary_index(codes, "multihash", tables=5, hash_bits=16)


def test_tie_aware_recall_accepts_any_order_among_equal_distances():
    from hashlib_core.faiss_indexes import tie_aware_recall

    exact = np.array([[0, 1, 1, 2]])
    assert tie_aware_recall(np.array([[0, 1, 1, 2]]), exact, 4) == 1.0  # other items at the same distances
    assert tie_aware_recall(np.array([[0, 1, 2, 2]]), exact, 4) == 0.75  # a distance-1 item missed
    assert tie_aware_recall(np.array([[0, 1, 1, 2147483647]]), exact, 4) == 0.75  # nothing found for one place
    assert tie_aware_recall(np.array([[1, 1, 1, 2]]), np.array([[1, 1, 1, 1]]), 4) == 0.75


def test_grown_codes_keep_the_real_codes_first_and_flip_copies(codes):
    from hashlib_core.codes import unpack
    from hashlib_core.faiss_indexes import grown_codes

    grown = grown_codes(codes, 10_000, flip=0.1, seed=2)
    assert len(grown) == 10_000 and np.array_equal(grown.words[:len(codes)], codes.words)
    nearest = hamming_rank(grown[len(codes):len(codes) + 200], codes, 1)[1][:, 0]
    assert 2 <= nearest.mean() <= 7.5  # about 6.4 flips of 64 bits, sometimes nearer another real code
    assert np.array_equal(grown.words, grown_codes(codes, 10_000, flip=0.1, seed=2).words)
    with pytest.raises(ValueError, match="at least the 3000 real codes"):
        grown_codes(codes, 10)
    assert unpack(grown).shape == (10_000, 64)


def test_index_rows_measure_every_kind_against_the_exhaustive_scan(codes):
    from hashlib_core.faiss_indexes import index_rows

    rows = index_rows(codes, codes[:40], [("flat", {}), ("ivf", {"nlist": 16, "nprobe": 16})], k=10, shards=2,
                      repeats=1)
    assert [row["index"] for row in rows] == ["numba scan (exhaustive)", "flat", "ivf", "flat x 2 shards"]
    by_kind = {row["index"]: row for row in rows}
    for kind in ("flat", "ivf", "flat x 2 shards"):  # every cell probed: exact up to the order of ties
        assert by_kind[kind]["tie-aware recall@10"] == 1.0 and by_kind[kind]["bytes"] >= codes.words.nbytes
    assert by_kind["flat"]["speed-up over faiss flat"] == 1.0 and by_kind["ivf"]["nprobe"] == 16


def test_index_rows_sweep_a_search_time_option_on_one_build(codes):
    from hashlib_core.faiss_indexes import index_rows

    rows = index_rows(codes, codes[:40], [("ivf", {"nlist": 16, "nprobe": (1, 16)})], k=10, repeats=1)
    ivf = [row for row in rows if row["index"] == "ivf"]
    assert [row["nprobe"] for row in ivf] == [1, 16] and ivf[0]["build s"] == ivf[1]["build s"]
    assert ivf[0]["tie-aware recall@10"] <= ivf[1]["tie-aware recall@10"] == 1.0
    with pytest.raises(ValueError, match="sweep at most one of"):
        index_rows(codes, codes[:5], [("ivf", {"nlist": (4, 8)})], k=5, repeats=1)
