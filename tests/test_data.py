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


@pytest.mark.parametrize("name, expected", [("cifar10", "cifar10/{train,test}"), ("mnist", "MNIST/raw"),
                                            ("oxford17", "oxford17/01")])
def test_missing_data_root_says_where_it_looked_and_how_to_provide_it(tmp_path, name, expected):
    with pytest.raises(DatasetNotFoundError) as error:
        load_dataset(name, tmp_path / "nowhere", download=False)
    message = str(error.value)
    assert expected in message and "download=False" in message and "To provide it" in message


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown dataset .cifar100..*cifar10, mnist, mnist5k, oxford17"):
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
    import hashlib_core.data as data_module

    decode = data_module._decode_chunk
    data_module._decode_chunk = lambda paths: pytest.fail("decoded again instead of reading the cache")
    try:
        cached = load_dataset("cifar10", tmp_path, cache_dir=tmp_path / "cache", progress=False)
    finally:
        data_module._decode_chunk = decode
    assert cached.checksum == dataset.checksum


def test_a_file_swapped_with_its_size_and_time_kept_is_not_served_from_the_cache(tmp_path):
    _write_folder(tmp_path, "train")
    folder = tmp_path / "cifar10" / "train"
    first = read_image_folder(folder, cache_dir=tmp_path / "cache", progress=False)
    victim, donor = folder / "cat" / "0000.jpg", folder / "dog" / "0000.jpg"
    stat = victim.stat()
    replacement = encode_jpeg(torch.full((3, 8, 8), 7, dtype=torch.uint8), quality=95).numpy().tobytes()
    victim.write_bytes(replacement.ljust(stat.st_size, b"\0") if len(replacement) <= stat.st_size
                       else donor.read_bytes())
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # what cp -p, rsync -t and tar x do
    second = read_image_folder(folder, cache_dir=tmp_path / "cache", progress=False)
    assert not np.array_equal(first[0][0], second[0][0])


def test_hidden_folders_are_ignored_and_a_class_in_one_split_is_named(tmp_path):
    _write_folder(tmp_path, "train")
    _write_folder(tmp_path, "test", images_per_class=2)
    for split in ("train", "test"):
        (tmp_path / "cifar10" / split / ".ipynb_checkpoints").mkdir()
    dataset = load_dataset("cifar10", tmp_path, cache=False, progress=False)
    assert dataset.classes == ["cat", "dog"] and any("JPEG" in note for note in dataset.notes)
    (tmp_path / "cifar10" / "test" / "bird").mkdir()
    (tmp_path / "cifar10" / "test" / "bird" / "0000.jpg").write_bytes(
        (tmp_path / "cifar10" / "test" / "cat" / "0000.jpg").read_bytes())
    with pytest.raises(ValueError, match=r"only in test \['bird'\]"):
        load_dataset("cifar10", tmp_path, cache=False, progress=False)


def _corrupt_scan(data: bytes) -> bytes:
    """Flip bytes inside the entropy-coded data, leaving every marker intact."""
    damaged = bytearray(data)
    start = damaged.index(b"\xff\xda") + 20
    for index in range(start, min(start + 40, len(damaged) - 2)):
        if damaged[index] != 0xFF and damaged[index - 1] != 0xFF:
            damaged[index] ^= 0x5A
    return bytes(damaged)


def test_a_jpeg_with_corrupt_scan_data_is_named_instead_of_decoded_to_garbage(tmp_path):
    _write_folder(tmp_path, "train", size=32)
    victim = tmp_path / "cifar10" / "train" / "dog" / "0002.jpg"
    victim.write_bytes(_corrupt_scan(victim.read_bytes()))
    with pytest.raises(CorruptImageError, match="dog/0002.jpg.*Corrupt JPEG data.*strict=False"):
        read_image_folder(tmp_path / "cifar10" / "train", cache=False, progress=False)
    with pytest.warns(RuntimeWarning, match="dog/0002.jpg"):
        images, _, _ = read_image_folder(tmp_path / "cifar10" / "train", cache=False, progress=False, strict=False)
    assert len(images) == 6


def test_a_jpeg_with_bytes_after_its_end_marker_is_read(tmp_path):
    _write_folder(tmp_path, "train")
    victim = tmp_path / "cifar10" / "train" / "cat" / "0001.jpg"
    victim.write_bytes(victim.read_bytes() + b"trailing bytes some tools append" * 4)
    images, _, _ = read_image_folder(tmp_path / "cifar10" / "train", cache=False, progress=False)
    assert images.shape == (6, 3, 8, 8)


def test_a_damaged_decode_cache_is_named_and_decoded_again(tmp_path):
    _write_folder(tmp_path, "train")
    folder = tmp_path / "cifar10" / "train"
    first = read_image_folder(folder, cache_dir=tmp_path / "cache", progress=False)
    cache_file = next((tmp_path / "cache" / "decoded").glob("*.npz"))
    cache_file.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.warns(RuntimeWarning, match=f"{cache_file.name}: damaged decode cache"):
        second = read_image_folder(folder, cache_dir=tmp_path / "cache", progress=False)
    np.testing.assert_array_equal(first[0], second[0])


def test_a_truncated_mnist_file_is_named_as_damaged_not_missing(tmp_path):
    import shutil

    from hashlib_core.data import CorruptImageError as Damaged

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    header = (2051).to_bytes(4, "big") + (100).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    (raw / "train-images-idx3-ubyte").write_bytes(header + b"\0" * 784 * 10)  # 10 of 100 images
    with pytest.raises(Damaged, match="train-images-idx3-ubyte: .*announces 100 items.*truncated"):
        load_dataset("mnist", tmp_path, download=False, progress=False)
    shutil.rmtree(raw)


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


def test_oxford17_images_of_mixed_sizes_come_out_square_in_class_order(tmp_path, monkeypatch):
    from hashlib_core.data import OXFORD17_CLASSES

    monkeypatch.setattr("hashlib_core.data.OXFORD17_SIZE", 16)
    generator = torch.Generator().manual_seed(0)
    for number in range(1, 18):
        folder = tmp_path / "oxford17" / f"{number:02d}"
        folder.mkdir(parents=True)
        for index, (height, width) in enumerate(((20, 30), (40, 24))):
            image = torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator)
            (folder / f"image_{number:02d}{index}.jpg").write_bytes(encode_jpeg(image, quality=95).numpy().tobytes())
    dataset = load_dataset("oxford17", tmp_path, download=False, cache_dir=tmp_path / "cache", progress=False)
    assert dataset.images.shape == (34, 3, 16, 16) and dataset.images.dtype == torch.uint8
    assert dataset.labels.tolist() == [label for label in range(17) for _ in range(2)]
    assert dataset.classes == list(OXFORD17_CLASSES) and not dataset.is_test.any()
    assert any("centre-cropped to 16 px" in note for note in dataset.notes)
