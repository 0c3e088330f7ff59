import os

import numpy as np
import pytest
import torch
from torchvision.io import encode_jpeg

from hashlib_core.data import (DATA_ROOT_ENV, CorruptImageError, DatasetNotFoundError, load_dataset,
                               read_image_folder, resolve_data_root)


def test_embedded_mnist_loads_offline_as_uint8_with_a_fixed_test_split():
    dataset = load_dataset("mnist5k")
    assert dataset.images.shape == (5000, 1, 28, 28) and dataset.images.dtype == torch.uint8
    assert dataset.labels.dtype == torch.int64
    assert np.bincount(dataset.labels[dataset.is_test].numpy()).tolist() == [100] * 10
    assert dataset.checksum == load_dataset("mnist5k").checksum
    assert any("embedded" in note for note in dataset.notes)


def test_data_root_comes_from_argument_then_environment_then_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "from-env"))
    assert resolve_data_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_root() == tmp_path / "from-env"
    monkeypatch.delenv(DATA_ROOT_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_data_root() == tmp_path / "cache" / "hashing-book" / "data"


@pytest.mark.parametrize("name, expected", [("cifar10", "cifar10/{train,test}"), ("mnist", "MNIST/raw")])
def test_missing_data_root_says_where_it_looked_and_how_to_provide_it(tmp_path, name, expected):
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset(name, tmp_path / "nowhere", download=False)
    message = str(error.value)
    assert expected in message and "download=False" in message and "To provide it" in message


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'.*cifar10, mnist, mnist5k"):
        load_dataset("cifar100")


def _write_folder(root, split, images_per_class=3, size=8):
    generator = torch.Generator().manual_seed(0)
    for label, name in enumerate(["cat", "dog"]):
        folder = root / "cifar10" / split / name
        folder.mkdir(parents=True)
        for index in range(images_per_class):
            image = torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
            (folder / f"{index:04d}.jpg").write_bytes(encode_jpeg(image, quality=95).numpy().tobytes())


def test_image_folder_is_decoded_once_and_then_read_from_the_cache(tmp_path):
    _write_folder(tmp_path, "train")
    _write_folder(tmp_path, "test", images_per_class=2)
    dataset = load_dataset("cifar10", tmp_path, cache_dir=tmp_path / "cache", progress=False)
    assert dataset.images.shape == (10, 3, 8, 8) and dataset.classes == ["cat", "dog"]
    assert dataset.labels.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 1, 1]
    assert dataset.is_test.tolist() == [False] * 6 + [True] * 4
    assert len(list((tmp_path / "cache" / "decoded").glob("*.npz"))) == 2
    assert any("JPEG" in note for note in dataset.notes)
    assert any("partial training split" in note for note in dataset.notes)
    for path in (tmp_path / "cifar10").rglob("*.jpg"):
        # garbage of the same size and time: only a cache hit can still load the dataset
        stat = path.stat()
        path.write_bytes(b"\0" * stat.st_size)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    cached = load_dataset("cifar10", tmp_path, cache_dir=tmp_path / "cache", progress=False)
    assert cached.checksum == dataset.checksum


def test_a_changed_file_invalidates_the_cache(tmp_path):
    _write_folder(tmp_path, "train")
    first = read_image_folder(tmp_path / "cifar10" / "train", cache_dir=tmp_path / "cache", progress=False)
    victim = tmp_path / "cifar10" / "train" / "cat" / "0000.jpg"
    victim.write_bytes(encode_jpeg(torch.zeros(3, 8, 8, dtype=torch.uint8)).numpy().tobytes())
    second = read_image_folder(tmp_path / "cifar10" / "train", cache_dir=tmp_path / "cache", progress=False)
    assert not np.array_equal(first[0], second[0]) and second[0][0].max() <= 8


def test_truncated_image_file_is_named_in_the_error(tmp_path):
    _write_folder(tmp_path, "train")
    victim = tmp_path / "cifar10" / "train" / "dog" / "0001.jpg"
    victim.write_bytes(victim.read_bytes()[:-40])
    with pytest.raises(CorruptImageError, match="dog/0001.jpg.*truncated"):
        read_image_folder(tmp_path / "cifar10" / "train", cache=False, progress=False)


def test_garbage_image_file_is_named_in_the_error(tmp_path):
    _write_folder(tmp_path, "train")
    victim = tmp_path / "cifar10" / "train" / "cat" / "0002.jpg"
    victim.write_bytes(b"\xff\xd8" + b"\x00" * 100 + b"\xff\xd9")
    with pytest.raises(CorruptImageError, match="cat/0002.jpg"):
        read_image_folder(tmp_path / "cifar10" / "train", cache=False, progress=False)
