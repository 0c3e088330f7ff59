"""Cached activations of a frozen network: computed once, read back, trained and encoded like images."""

import pytest
import torch
from torch import nn

from hashlib_core.data import ImageDataset
from hashlib_core.frozen import FrozenPrefix, cached_activations
from hashlib_core.objectives import Classification
from hashlib_core.train import Augmentation, encode, fit, to_model_input


def _dataset(n=120):
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 3
    patterns = torch.rand(3, 3, 8, 8, generator=generator) * 200
    images = (patterns[labels] + torch.rand(n, 3, 8, 8, generator=generator) * 55).to(torch.uint8)
    return ImageDataset("toy", images, labels, torch.arange(n) >= 90, ["a", "b", "c"], "test", "1" * 64)


def _prefix(calls):
    def build():
        calls.append(1)
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU())
    return FrozenPrefix("toy-conv-v1", build)


def test_activations_are_computed_once_then_read_from_the_cache(tmp_path):
    calls = []
    dataset = _dataset()
    first = cached_activations(dataset, _prefix(calls), cache_dir=tmp_path, progress=False)
    assert first.images.dtype == torch.float16 and first.images.shape == (120, 4, 4, 4)
    assert torch.equal(first.labels, dataset.labels) and torch.equal(first.is_test, dataset.is_test)
    assert first.checksum != dataset.checksum and "toy-conv-v1" in first.source
    again = cached_activations(dataset, _prefix(calls), cache_dir=tmp_path, progress=False)
    assert calls == [1] and torch.equal(again.images, first.images)


def test_a_damaged_cache_is_named_deleted_and_computed_again(tmp_path, capsys):
    calls = []
    dataset = _dataset()
    first = cached_activations(dataset, _prefix(calls), cache_dir=tmp_path, progress=False)
    (cached,) = (tmp_path / "features").glob("*.npz")
    cached.write_bytes(b"not a zip file")
    again = cached_activations(dataset, _prefix(calls), cache_dir=tmp_path, progress=False)
    assert "damaged activation cache" in capsys.readouterr().out and len(calls) == 2
    assert torch.equal(again.images, first.images)


def test_activations_train_and_encode_like_images_but_refuse_augmentation(tmp_path):
    activations = cached_activations(_dataset(), _prefix([]), cache_dir=tmp_path, progress=False)
    inputs = to_model_input(activations.images[:5], torch.device("cpu"))
    torch.testing.assert_close(inputs, activations.images[:5].float().contiguous(memory_format=torch.channels_last))
    head = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    history = fit(head, activations.images[:90], activations.labels[:90], Classification(), epochs=15,
                  batch_size=30, lr=0.05, progress=False, device="cpu")
    assert history[-1]["accuracy"] > 0.9
    scores = encode(head, activations.images[90:], device="cpu").features
    assert (scores.argmax(axis=1) == activations.labels[90:].numpy()).mean() > 0.9
    with pytest.raises(ValueError, match="cached activations"):
        fit(head, activations.images[:90], activations.labels[:90], Classification(), epochs=1, batch_size=30,
            augmentation=Augmentation(2, True), progress=False, device="cpu")
    with pytest.raises(ValueError, match="uint8 tensor .* or float16/float32"):
        encode(head, activations.images[:5].long(), device="cpu")
