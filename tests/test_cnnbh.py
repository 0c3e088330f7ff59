from dataclasses import replace

import numpy as np
import pytest
import torch

from hashlib_core.cnnbh import (PROFILES, Recipe, build_network, checkpoint_path, profile_plan, rectify,
                                run_dataset)
from hashlib_core.data import ImageDataset, load_dataset
from hashlib_core.nets.cnnbh import cnnbh_cifar, cnnbh_mnist, knob_inputs, pool3_outputs
from hashlib_core.protocols import protocol_for


def _fake(shape):
    return ImageDataset("fake", torch.zeros((4, *shape), dtype=torch.uint8), torch.zeros(4, dtype=torch.long),
                        torch.zeros(4, dtype=torch.bool), ["a"], "test", "0" * 64)


def test_profiles_name_the_papers_code_lengths_and_a_cpu_sized_recipe():
    assert PROFILES["paper"]["cifar10"]["code_lengths"] == [12, 24, 32, 48]
    assert PROFILES["paper"]["mnist"]["recipe"].augmentation() is None  # digits are not flipped
    assert PROFILES["paper"]["cifar10"]["recipe"].augmentation().flip
    assert PROFILES["long"]["cifar10"]["recipe"].epochs > PROFILES["paper"]["cifar10"]["recipe"].epochs


def test_profile_plan_narrows_and_overrides_without_touching_the_profiles():
    plan = profile_plan("paper", ["cifar10"], [16], 3)
    assert list(plan) == ["cifar10"] and plan["cifar10"]["code_lengths"] == [16]
    assert plan["cifar10"]["recipe"] == replace(PROFILES["paper"]["cifar10"]["recipe"], epochs=3)
    assert PROFILES["paper"]["cifar10"]["code_lengths"] == [12, 24, 32, 48]


@pytest.mark.parametrize("arguments, message", [
    (("tiny",), "profile must be one of"),
    (("paper", ["imagenet"]), "are not among them"),
    (("paper", None, [0]), "positive integers"),
    (("paper", None, None, 0), "epochs must be at least 1"),
])
def test_bad_profile_requests_get_a_clear_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        profile_plan(*arguments)


def test_build_network_picks_the_papers_network_by_image_shape():
    assert build_network(_fake((3, 32, 32)), 24).spec == cnnbh_cifar(24).spec
    assert build_network(_fake((1, 28, 28)), 12).spec == cnnbh_mnist(12).spec
    with pytest.raises(ValueError, match="3x32x32"):
        build_network(_fake((3, 64, 64)), 12)


def test_knob_input_is_pool3_for_cifar_and_pool2_for_mnist():
    cifar = cnnbh_cifar(32).eval()
    images = torch.rand(3, 3, 32, 32)
    assert torch.equal(knob_inputs(cifar, images), pool3_outputs(cifar, images))
    assert knob_inputs(cnnbh_mnist(12).eval(), torch.rand(2, 1, 28, 28)).shape == (2, 512)


def test_rectify_pushes_outputs_half_a_unit_away_from_zero_by_sign():
    np.testing.assert_allclose(rectify(np.array([[-1.0, -0.1, 0.0, 0.3]])), [[-1.5, -0.6, 0.5, 0.8]])


def test_checkpoint_names_change_with_anything_that_changes_the_network(tmp_path):
    dataset = load_dataset("mnist5k")
    protocol = protocol_for(dataset, "cnnh", queries_per_class=20, train_per_class=200, validation_per_class=0)
    recipe = Recipe(epochs=2)
    path = checkpoint_path(dataset, protocol, 12, recipe, 0, tmp_path)
    assert path == checkpoint_path(dataset, protocol, 12, recipe, 0, tmp_path)
    others = {checkpoint_path(dataset, protocol, 24, recipe, 0, tmp_path),
              checkpoint_path(dataset, protocol, 12, replace(recipe, epochs=3), 0, tmp_path),
              checkpoint_path(dataset, protocol, 12, recipe, 1, tmp_path)}
    assert path not in others and len(others) == 3


def test_a_run_hashes_with_knob_signs_beats_lsh_and_resumes_from_its_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    settings = profile_plan("smoke", code_lengths=[16], epochs=3)["mnist5k"]
    first = run_dataset("mnist5k", settings, progress=False)
    knob = first.knob[16]
    assert knob.features.shape == (5000, 16)
    np.testing.assert_array_equal(knob.bits, (knob.features > 0).astype(np.uint8))  # the code is the signs
    assert set(first.reports) == {("CNNBH", 16), ("LSH", 16), ("KSH", 16)}
    assert first.reports[("CNNBH", 16)].map > first.reports[("LSH", 16)].map
    assert first.networks[16].resumed_epochs == 0
    again = run_dataset("mnist5k", settings, progress=False)
    assert again.networks[16].resumed_epochs == 3  # every epoch came from the checkpoint
    assert again.reports[("CNNBH", 16)].map == first.reports[("CNNBH", 16)].map
