"""Feature kinds: the hand-made colour, shape and texture descriptors, and which kinds exist."""

import numpy as np
import torch

from hashlib_core.data import ImageDataset
from hashlib_core.features import dataset_features, is_feature_kind


def _images(n=3, size=40):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)
    images[0] = 0
    images[0, 0] = 255  # pure red
    return ImageDataset("toy", images, torch.arange(n), torch.zeros(n, dtype=torch.bool), ["a", "b", "c"], "toy",
                        "toy-features")


def test_hand_made_descriptors_have_their_sizes_and_are_cached(tmp_path):
    dataset = _images()
    colour, seconds = dataset_features(dataset, "hsv-histogram", cache_dir=tmp_path, progress=False)
    assert colour.shape == (3, 256) and np.allclose(colour.sum(axis=1), 1.0)
    assert colour[0, 15] == 1.0  # pure red: hue bin 0, saturation and value in their top bins (0 * 16 + 3 * 4 + 3)
    assert seconds > 0 and dataset_features(dataset, "hsv-histogram", cache_dir=tmp_path, progress=False)[1] == 0.0
    shape, _ = dataset_features(dataset, "hog", cache_dir=tmp_path, progress=False)
    texture, _ = dataset_features(dataset, "lbp", cache_dir=tmp_path, progress=False)
    assert shape.shape == (3, 1764) and texture.shape == (3, 160)
    assert np.allclose(texture.sum(axis=1), 16.0)  # one normalised 10-bin histogram per cell of the 4 x 4 grid


def test_feature_kinds():
    assert all(is_feature_kind(kind) for kind in ("gist512", "pixels", "hog", "lite0-128px", "lite0-96px"))
    assert not any(is_feature_kind(kind) for kind in ("lite0", "lite0-128", "sift", None))
