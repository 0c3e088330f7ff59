from dataclasses import replace

import numpy as np
import pytest
import torch

from hashlib_core.data import ImageDataset
from hashlib_core.experiment import run_method
from hashlib_core.methods import CNNBH
from hashlib_core.methods.cnnbh import PROFILES
from hashlib_core.nets.cnnbh import cnnbh_cifar, cnnbh_mnist, knob_inputs, pool3_outputs
from hashlib_core.settings import BaselineRun
from hashlib_core.studies.cnnbh import findings_text, rectify, search_alternatives, signs_experiment

METHOD = CNNBH()


def _fake(shape):
    return ImageDataset("fake", torch.zeros((4, *shape), dtype=torch.uint8), torch.zeros(4, dtype=torch.long),
                        torch.zeros(4, dtype=torch.bool), ["a"], "test", "0" * 64)


def test_profiles_name_the_papers_code_lengths_and_a_cpu_sized_recipe():
    assert PROFILES["paper"]["cifar10"].code_lengths == (12, 24, 32, 48)
    assert PROFILES["paper"]["mnist"].recipe.augmentation() is None  # digits are not flipped
    assert PROFILES["paper"]["cifar10"].recipe.augmentation().flip
    assert PROFILES["long"]["cifar10"].recipe.epochs > PROFILES["paper"]["cifar10"].recipe.epochs
    assert [baseline.label for baseline in PROFILES["paper"]["cifar10"].baselines] == ["LSH", "KSH"]


def test_a_single_dataset_or_code_length_stands_for_a_list_of_one():
    plan = METHOD.plan("paper", "cifar10", 48)
    assert list(plan) == ["cifar10"] and plan["cifar10"].code_lengths == (48,)


def test_plan_narrows_and_overrides_without_touching_the_profiles():
    plan = METHOD.plan("paper", ["cifar10"], [16], 3)
    assert list(plan) == ["cifar10"] and plan["cifar10"].code_lengths == (16,)
    assert plan["cifar10"].recipe == replace(PROFILES["paper"]["cifar10"].recipe, epochs=3)
    assert PROFILES["paper"]["cifar10"].code_lengths == (12, 24, 32, 48)


@pytest.mark.parametrize("arguments, message", [
    (("tiny",), "profile must be one of"),
    (("paper", ["imagenet"]), "are not among them"),
    (("paper", 5), "list of dataset names"),
    (("paper", None, [0]), "code_lengths must be a non-empty list of positive integers"),
    (("paper", None, "abc"), "code_lengths must be a list"),
    (("paper", None, None, 0), "epochs must be an integer >= 1"),
    (("paper", None, None, -1), "epochs must be an integer >= 1"),
])
def test_bad_profile_requests_get_a_clear_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        METHOD.plan(*arguments)


def test_build_network_picks_the_papers_network_by_image_shape():
    settings = PROFILES["paper"]["mnist"]
    assert METHOD.build_network(_fake((3, 32, 32)), 24, settings).spec == cnnbh_cifar(24).spec
    assert METHOD.build_network(_fake((1, 28, 28)), 12, settings).spec == cnnbh_mnist(12).spec
    with pytest.raises(ValueError, match="3x32x32"):
        METHOD.build_network(_fake((3, 64, 64)), 12, settings)


def test_the_hash_layer_is_the_knob_and_its_signs_are_the_code():
    network = cnnbh_mnist(12).eval()
    layers = METHOD.layers(network, torch.rand(3, 1, 28, 28))
    assert layers["knob"].shape == (3, 12) and layers["scores"].shape == (3, 10)
    outputs = {"knob": np.array([[-0.2, 0.0, 0.3]], dtype=np.float32)}
    assert METHOD.codes(outputs).words[0, 0] == 0b100  # 0 itself is not above the threshold


def test_knob_input_is_pool3_for_cifar_and_pool2_for_mnist():
    cifar = cnnbh_cifar(32).eval()
    images = torch.rand(3, 3, 32, 32)
    assert torch.equal(knob_inputs(cifar, images), pool3_outputs(cifar, images))
    assert knob_inputs(cnnbh_mnist(12).eval(), torch.rand(2, 1, 28, 28)).shape == (2, 512)


def test_rectify_pushes_outputs_half_a_unit_away_from_zero_by_sign():
    np.testing.assert_allclose(rectify(np.array([[-1.0, -0.1, 0.0, 0.3]])), [[-1.5, -0.6, 0.5, 0.8]])


@pytest.fixture(scope="module")
def smoke_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def smoke_run(smoke_cache):
    settings = replace(METHOD.plan("smoke", code_lengths=[16], epochs=3)["mnist5k"],
                       baselines=(BaselineRun("lsh"), BaselineRun("ksh", {"n_labeled": 300, "n_anchors": 50})))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHING_BOOK_CACHE", str(smoke_cache))
        return run_method(METHOD, "mnist5k", settings, progress=False)


def test_a_run_hashes_with_knob_signs_beats_lsh_and_resumes_from_its_checkpoints(smoke_run, smoke_cache,
                                                                                monkeypatch):
    knob = smoke_run.outputs[16]["knob"]
    assert knob.shape == (5000, 16)
    from hashlib_core.codes import unpack

    np.testing.assert_array_equal(unpack(smoke_run.codes[("CNNBH", 16)]), (knob > 0).astype(np.uint8))
    assert set(smoke_run.reports) == {("CNNBH", 16), ("LSH", 16), ("KSH", 16)}
    assert smoke_run.reports[("CNNBH", 16)].map > smoke_run.reports[("LSH", 16)].map
    assert smoke_run.networks[16].resumed_epochs == 0 and 0.5 < smoke_run.accuracy[16] <= 1
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(smoke_cache))
    again = run_method(METHOD, "mnist5k", replace(smoke_run.settings, baselines=()), progress=False)
    assert again.networks[16].resumed_epochs == 3  # every epoch came from the checkpoint
    assert again.reports[("CNNBH", 16)].map == smoke_run.reports[("CNNBH", 16)].map


def test_table_3_compares_the_codes_with_euclidean_rankings_and_pool3_baselines(smoke_run):
    rows = search_alternatives(smoke_run, 16, progress=False)
    methods = [row["method"] for row in rows]
    assert list(dict.fromkeys(methods)) == ["CNNBH", "L2_fc", "L2_fc+", "Pool3 + KSH", "Pool3 + LSH",
                                            "GIST-320 + LSH"]
    assert {row["top"] for row in rows} == {500, 1500}  # as in the paper (4,800 database images here)
    assert all(0 <= row["ours"] <= 1 and row["paper"] is None for row in rows)  # quoted for CIFAR-10 only
    by_method = {(row["method"], row["top"]): row["ours"] for row in rows}
    assert by_method[("CNNBH", 500)] > by_method[("Pool3 + LSH", 500)]


def test_the_signs_experiment_ranks_the_same_knob_four_ways(smoke_run):
    rows = {row["ranking"]: row["mAP"] for row in signs_experiment(smoke_run, 16)}
    assert rows["Hamming on signs (CNNBH)"] == smoke_run.reports[("CNNBH", 16)].map
    assert rows["L2 on magnitudes |x| (no signs)"] < rows["Hamming on signs (CNNBH)"]


def test_the_same_seed_gives_bit_identical_weights_whatever_ran_before():
    from hashlib_core.data import load_dataset
    from hashlib_core.experiment import train_network
    from hashlib_core.protocols import protocol_for

    dataset = load_dataset("mnist5k")
    settings = METHOD.plan("smoke", epochs=1)["mnist5k"]
    protocol = protocol_for(dataset, "cnnh", **settings.protocol_options)
    first = train_network(METHOD, dataset, protocol, settings, 12, checkpoints=False, progress=False)
    torch.rand(100), np.random.rand(3)  # disturb the global generators, as another cell or chapter would
    second = train_network(METHOD, dataset, protocol, settings, 12, checkpoints=False, progress=False)
    for name, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[name]), name


def test_the_chapter_prose_is_written_from_the_run_numbers(smoke_run):
    from hashlib_core.report import beside_paper_text

    quoted = {"mnist5k": {"CNNBH": {16: 0.5}, "KSH": {16: 0.25}, "BRE": {16: 0.1}}}
    text = beside_paper_text({"mnist5k": smoke_run}, quoted, ["CNNBH", "KSH", "BRE"], profile="smoke")
    ours = smoke_run.headline("CNNBH", 16)
    assert f"ours {ours:.3f}, paper 0.500; ours minus paper {ours - 0.5:+.3f}" in text
    assert "KSH mAP at 16 bits" in text and "BRE" not in text  # BRE was not run: no sentence about it
    assert "smoke profile, seed 0, train 3 epochs" in text

    alternatives = [{"method": "CNNBH", "top": 1500, "ours": 0.6, "paper": 0.7},
                    {"method": "L2_fc", "top": 1500, "ours": 0.5, "paper": 0.6},
                    {"method": "Pool3 + KSH", "top": 1500, "ours": 0.65, "paper": None}]
    signs = [{"ranking": name, "mAP": value} for name, value in
             [("Hamming", 0.5), ("L2", 0.4), ("L2+", 0.45), ("|x|", 0.2)]]
    sentences = findings_text(alternatives, signs, 32)
    assert "precision is 0.600, above L2_fc (0.500); Pool3 + KSH (0.650) is at or above it" in sentences
    assert "differ by -0.100 to -0.100" in sentences and "supports the paper's reading" in sentences
    signs[0]["mAP"] = 0.3  # Hamming below Euclidean: the text must say the opposite
    assert "does not support" in findings_text(alternatives, signs, 32)
