import numpy as np
import pytest

from hashlib_core.data import load_dataset
from hashlib_core.protocols import PROTOCOLS, load_protocol, make_protocol, protocol_for

# A CIFAR-10-shaped label layout without any images: 5,000 training + 1,000 test per class.
LABELS = np.concatenate([np.repeat(np.arange(10), 5000), np.repeat(np.arange(10), 1000)])
IS_TEST = np.concatenate([np.zeros(50_000, bool), np.ones(10_000, bool)])


def test_cnnh_sizes_balance_and_disjointness():
    protocol = make_protocol("cnnh", LABELS, IS_TEST, seed=0)
    assert (len(protocol.query), len(protocol.train), len(protocol.database)) == (1000, 5000, 59_000)
    assert np.bincount(LABELS[protocol.query]).tolist() == [100] * 10
    assert np.bincount(LABELS[protocol.train]).tolist() == [500] * 10
    assert np.intersect1d(protocol.query, protocol.train).size == 0
    assert np.intersect1d(protocol.query, protocol.database).size == 0
    assert np.intersect1d(protocol.query, protocol.validation).size == 0
    assert np.intersect1d(protocol.train, protocol.validation).size == 0
    assert np.union1d(protocol.query, protocol.database).size == 60_000


@pytest.mark.parametrize("name, sizes", [("dlbhc", (1000, 50_000, 50_000)), ("zeng", (1000, 50_000, 9000)),
                                         ("deepbit", (10_000, 50_000, 50_000))])
def test_train_split_protocols_sizes_and_query_source(name, sizes):
    protocol = make_protocol(name, LABELS, IS_TEST, seed=3)
    assert (len(protocol.query), len(protocol.train), len(protocol.database)) == sizes
    assert IS_TEST[protocol.query].all()
    assert not IS_TEST[protocol.train].any()
    assert np.intersect1d(protocol.query, protocol.train).size == 0
    assert np.intersect1d(protocol.query, protocol.database).size == 0
    assert protocol.supervised == (name != "deepbit")


def test_dlbhc_can_use_every_test_image_as_a_query():
    assert len(make_protocol("dlbhc", LABELS, IS_TEST, n_queries=None).query) == 10_000


def test_validation_comes_from_the_training_side_and_is_held_out():
    protocol = make_protocol("dlbhc", LABELS, IS_TEST, validation_size=2000)
    assert len(protocol.validation) == 2000 and not IS_TEST[protocol.validation].any()
    assert np.intersect1d(protocol.validation, protocol.train).size == 0
    assert len(protocol.train) == 48_000 and len(protocol.database) == 50_000


@pytest.mark.parametrize("name", PROTOCOLS)
def test_same_seed_same_indices_other_seed_other_indices(name):
    first, again = (make_protocol(name, LABELS, IS_TEST, seed=7) for _ in range(2))
    other = make_protocol(name, LABELS, IS_TEST, seed=8)
    assert first.checksum == again.checksum
    np.testing.assert_array_equal(first.query, again.query)
    if name != "deepbit":  # deepbit's queries are all test images whatever the seed
        assert first.checksum != other.checksum
        assert not np.array_equal(first.query, other.query)


def test_saved_protocol_reloads_with_its_checksum(tmp_path):
    protocol = make_protocol("zeng", LABELS, IS_TEST, seed=1)
    path = protocol.save(tmp_path / "zeng.npz")
    loaded = load_protocol(path)
    assert loaded.checksum == protocol.checksum and loaded.settings == protocol.settings


def test_protocol_for_embedded_mnist_with_scaled_sizes():
    dataset = load_dataset("mnist5k")
    protocol = protocol_for(dataset, "cnnh", queries_per_class=20, train_per_class=300)
    summary = protocol.describe(dataset.labels)
    assert summary["query_per_class"] == [20] * 10 and summary["train"] == 3000


@pytest.mark.parametrize("call, message", [
    (lambda: make_protocol("nus", LABELS, IS_TEST), "unknown protocol 'nus'"),
    (lambda: make_protocol("cnnh", LABELS, IS_TEST, n_queries=5), "has no setting"),
    (lambda: make_protocol("cnnh", LABELS[:100], IS_TEST[:100]), "class 0 has only"),
    (lambda: make_protocol("zeng", LABELS, IS_TEST, n_queries=20_000), "only 10000 images"),
    (lambda: make_protocol("dlbhc", LABELS, np.zeros_like(IS_TEST)), "training and a test split"),
    (lambda: make_protocol("dlbhc", LABELS, IS_TEST[:10]), "same length"),
])
def test_bad_protocol_requests_get_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_save_returns_the_file_it_wrote_and_the_reader_names_damage(tmp_path):
    from hashlib_core.protocols import load_protocol

    protocol = make_protocol("dlbhc", np.arange(40) % 4, np.arange(40) >= 30, n_queries=5)
    path = protocol.save(tmp_path / "proto.bin")
    assert path == tmp_path / "proto.bin.npz" and path.exists()
    assert load_protocol(path).checksum == protocol.checksum
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="proto.bin.npz: not a readable protocol file"):
        load_protocol(path)


@pytest.mark.parametrize("call, message", [
    (lambda: make_protocol("cnnh", np.arange(40) % 4, np.zeros(40, bool), queries_per_class=0, train_per_class=2,
                           validation_per_class=0),
     "leaves no query images"),
    (lambda: make_protocol("cnnh", np.arange(40) % 4, np.zeros(40, bool), queries_per_class=-1),
     "queries_per_class must be a non-negative integer"),
    (lambda: make_protocol("dlbhc", np.arange(40) % 4, np.arange(40) >= 30, n_queries=0), "leaves no query"),
    (lambda: make_protocol("cnnh", np.r_[np.arange(39) % 3, 10**9], np.zeros(40, bool)), "class ids 0..C-1"),
    (lambda: make_protocol("cnnh", np.arange(40) % 4, np.zeros(40, bool), train_per_class=2.5),
     "train_per_class must be a non-negative integer"),
])
def test_protocols_that_would_give_nan_later_are_refused_now(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_flowers_split_has_the_papers_sizes_per_class_and_no_overlap():
    labels = np.repeat(np.arange(17), 80)
    protocol = make_protocol("flowers", labels, np.zeros(len(labels), bool), seed=3)
    for part, size in (("train", 40), ("validation", 20), ("query", 20)):
        assert np.bincount(labels[getattr(protocol, part)]).tolist() == [size] * 17
    assert not set(protocol.train) & set(protocol.query) and not set(protocol.validation) & set(protocol.query)
    assert np.array_equal(protocol.database, protocol.train) and not protocol.supervised
    other = make_protocol("flowers", labels, np.zeros(len(labels), bool), seed=4)
    assert not np.array_equal(other.train, protocol.train)
