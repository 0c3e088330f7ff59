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
