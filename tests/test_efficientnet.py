"""The ImageNet EfficientNet-Lite0, cut in two: frozen prefix + trainable top give the whole network's feature."""

import pytest
import torch

pytest.importorskip("efficientnet_lite_pytorch", reason="efficientnet-lite-pytorch is not installed")

from hashlib_core.nets.efficientnet import LITE0_FEATURES, load_lite0, lite0_prefix, lite0_top  # noqa: E402


def test_prefix_then_top_is_the_whole_pretrained_network():
    torch.manual_seed(0)
    images = torch.rand(2, 3, 32, 32)
    whole = load_lite0().eval()
    resized = torch.nn.functional.interpolate(images, size=(64, 64), mode="bilinear", align_corners=False)
    with torch.no_grad():
        expected = whole.extract_features((resized * 255 - 127) / 128).mean(dim=(2, 3))
        prefix, top = lite0_prefix(11, 64), lite0_top(11).eval()
        activations = prefix.build()(images)
        features = top(activations)
    assert activations.shape == (2, 112, 4, 4) and features.shape == (2, LITE0_FEATURES)
    torch.testing.assert_close(features, expected, rtol=1e-4, atol=1e-4)
    assert prefix.identity == "efficientnet-lite0-imagenet-64px-cut11"


def test_grey_images_and_bad_cuts():
    with torch.no_grad():
        assert lite0_prefix(2, 32).build()(torch.rand(1, 1, 28, 28)).shape[1] == 24
    with pytest.raises(ValueError, match="cut must lie in 0..16"):
        lite0_prefix(17, 64)


def test_dlbhc_on_the_frozen_efficientnet_trains_on_cached_activations(tmp_path, monkeypatch):
    """The generic run with a frozen prefix: activations cached once, pre-training and fine-tuning on them."""
    from dataclasses import replace

    from hashlib_core.data import ImageDataset
    from hashlib_core.experiment import run_method
    from hashlib_core.methods import DLBHC
    from hashlib_core.methods.dlbhc import Backbone
    from hashlib_core.settings import BaselineRun, Recipe

    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    generator = torch.Generator().manual_seed(0)
    n = 240
    labels = torch.arange(n) % 3
    patterns = torch.rand(3, 3, 32, 32, generator=generator) * 200
    images = (patterns[labels] + torch.rand(n, 3, 32, 32, generator=generator) * 55).to(torch.uint8)
    dataset = ImageDataset("toy", images, labels, torch.arange(n) >= 180, ["a", "b", "c"], "test", "2" * 64)
    method = DLBHC()
    quick = Recipe(epochs=2, lr=1e-3, batch_size=30, padding=0, flip=False)
    settings = replace(method.profiles["smoke"]["mnist5k"], code_lengths=(8,), pretrain=quick, recipe=quick,
                       backbone=Backbone("efficientnet-lite0", input_size=32, trainable_blocks=1),
                       protocol_options={"n_queries": 30}, baselines=(BaselineRun("lsh"),))
    run = run_method(method, dataset, settings, progress=False, workers=1)
    assert run.inputs is not dataset and run.inputs.images.dtype == torch.float16
    assert run.network_images.shape == (n, 192, 1, 1) and "frozen network activations" in run.stages
    assert run.outputs[8]["latent"].shape == (n, 8) and run.outputs[8]["f7"].shape == (n, 1280)
    assert 0 < run.headline("DLBHC", 8) <= 1
    assert len(list((tmp_path / "features").glob("toy-efficientnet-lite0-imagenet-32px-cut15-*.npz"))) == 1
