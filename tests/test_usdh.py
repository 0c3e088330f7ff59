"""USDH (Jin): the four loss terms, the teacher's similarities, rotated copies, and a training path that never
reads a label."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from hashlib_core.data import ImageDataset
from hashlib_core.losses import (bit_balance_loss, deepbit_angle_weights, quantization_loss, rotation_loss,
                                 semantic_loss, teacher_similarity)
from hashlib_core.methods.usdh import USDH, UsdhObjective, UsdhSettings, calibrated_teacher
from hashlib_core.objectives import Batch
from hashlib_core.protocols import protocol_for
from hashlib_core.settings import Recipe
from hashlib_core.teachers import rotate_images


def test_semantic_loss_matches_eq_4_by_hand():
    outputs = torch.tensor([[0.9, 0.2], [0.6, 0.7], [0.1, 0.4]])
    similarity = torch.tensor([[1.0, 0.3, 0.8], [0.3, 1.0, 0.5], [0.8, 0.5, 1.0]])
    centred = 2 * outputs - 1
    expected = []
    for i, j in ((0, 1), (0, 2), (1, 2)):
        code_similarity = (float(centred[i] @ centred[j]) + 2) / 4
        expected.append(abs(float(similarity[i, j]) - code_similarity))
    assert float(semantic_loss(outputs, similarity)) == pytest.approx(np.mean(expected))
    with pytest.raises(ValueError, match="similarity must be"):
        semantic_loss(outputs, similarity[:2, :2])


def test_quantisation_balance_and_rotation_terms():
    binary = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert float(quantization_loss(binary)) == 0.0 and float(bit_balance_loss(binary)) == 0.0
    halves = torch.full((2, 3), 0.5, requires_grad=True)
    assert float(quantization_loss(halves).detach()) == pytest.approx(1.0)
    outputs = torch.tensor([[0.3, 0.8]], requires_grad=True)
    quantization_loss(outputs).backward()
    assert torch.all(outputs.grad != 0)  # J2 pulls outputs towards 0 or 1, it does not stall
    assert float(bit_balance_loss(torch.ones(4, 2))) == pytest.approx(0.25)
    weights = deepbit_angle_weights(5)
    torch.testing.assert_close(weights, torch.tensor([math.exp(-2), math.exp(-0.5), 1.0, math.exp(-0.5),
                                                      math.exp(-2)]))
    same = torch.rand(3, 4)
    assert float(rotation_loss(same[:, None, :].expand(3, 5, 4), same, weights)) == 0.0
    moved = same[:, None, :].expand(3, 5, 4).clone()
    moved[:, 0] += 0.5
    assert float(rotation_loss(moved, same, weights)) == pytest.approx(math.exp(-2) * 0.25)


def test_teacher_similarity_and_its_calibration():
    standardised = torch.randn(400, 1280, generator=torch.Generator().manual_seed(0))
    similarity = teacher_similarity(standardised)
    assert torch.equal(similarity.diagonal(), torch.ones(400)) and float(similarity.min()) > 0
    # as printed, distances (about sqrt(2 d)) are small against d: every S sits near 1
    assert float(similarity.min()) > 0.95
    features = torch.randn(400, 32, generator=torch.Generator().manual_seed(1)) ** 3
    calibrated = teacher_similarity(calibrated_teacher(features, seed=3))
    off_diagonal = calibrated[~torch.eye(400, dtype=torch.bool)]
    assert float(off_diagonal.median()) == pytest.approx(0.5, abs=0.03)
    sharper = teacher_similarity(calibrated_teacher(features, seed=3), rho=0.25)
    assert float(sharper[~torch.eye(400, dtype=torch.bool)].median()) < 0.2


def test_rotating_a_square_image_by_90_degrees_is_rot90():
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    torch.testing.assert_close(rotate_images(images, 90), torch.rot90(images, 1, dims=(2, 3)))
    assert torch.equal(rotate_images(images, 0), images)
    with pytest.raises(ValueError, match="uint8"):
        rotate_images(images.float(), 5)


def test_settings_refuse_bad_values():
    recipe = Recipe(epochs=1)
    with pytest.raises(ValueError, match="angles"):
        UsdhSettings(code_lengths=(8,), recipe=recipe, protocol="deepbit", angles=(5.0, 10.0))
    with pytest.raises(ValueError, match="rho"):
        UsdhSettings(code_lengths=(8,), recipe=recipe, protocol="deepbit", rho=0)
    with pytest.raises(ValueError, match="losses must be one of"):
        USDH("semantic only")


class _LabelsRaise(ImageDataset):
    """A dataset whose labels raise on access: what the training path may not touch."""

    @property
    def labels(self):
        raise AssertionError("a label was read on the training path")

    @labels.setter
    def labels(self, value):
        self._labels = value


def _teacher_inputs(n: int = 60, d: int = 12, seed: int = 0) -> tuple[ImageDataset, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    centres = torch.randn(3, d, generator=generator) * 3
    features = centres[labels] + torch.randn(n, d, generator=generator)
    is_test = torch.zeros(n, dtype=torch.bool)
    is_test[-12:] = True
    return ImageDataset("toy", features[:, :, None, None], labels, is_test, ["a", "b", "c"], "toy", "toy"), features


@pytest.mark.parametrize("losses", ["usdh", "deepbit"])
def test_the_training_path_never_reads_a_label(losses):
    from hashlib_core.experiment import train_network

    dataset, features = _teacher_inputs()
    protocol = protocol_for(dataset, "deepbit")
    blind = _LabelsRaise(dataset.name, dataset.images, dataset.labels, dataset.is_test, dataset.classes, "toy", "toy")
    with pytest.raises(AssertionError, match="a label was read"):
        blind.labels
    train = torch.from_numpy(np.asarray(protocol.train))
    targets = torch.full((len(train), 6, features.shape[1]), float("nan"))
    targets[:, 0] = calibrated_teacher((features[train] - features[train].mean(0)) / features[train].std(0))
    targets[:10, 1:] = features[train[:10], None, :] + 0.05  # rotated copies of the first ten
    settings = UsdhSettings(code_lengths=(8,), recipe=Recipe(epochs=3, lr=1e-2, optimizer="adam", padding=0,
                                                             flip=False, batch_size=16),
                            rotation_recipe=Recipe(epochs=1, lr=1e-3, optimizer="adam", padding=0, flip=False,
                                                   batch_size=16),
                            protocol="deepbit", hidden=16)
    trained = train_network(USDH(losses), blind, protocol, settings, 8, targets=targets, checkpoints=False,
                            progress=False)
    assert [entry["stage"] for entry in trained.history] == [("semantic" if losses == "usdh" else "balance")] * 3 + \
        ["rotation"]
    assert all(np.isfinite(entry["loss"]) for entry in trained.history)


def test_the_rotation_stage_only_uses_images_with_rotated_copies():
    torch.manual_seed(0)
    from hashlib_core.nets.usdh import sigmoid_hash_head

    network = sigmoid_hash_head(4, 6, hidden=8)
    inputs = torch.randn(5, 4, 1, 1)
    targets = torch.full((5, 4, 4), float("nan"))
    targets[:, 0] = torch.randn(5, 4)
    objective = UsdhObjective(rho=1.0, alpha=0.1, balance=1.0, rotation=1.0, semantic=True, quantization="usdh",
                              angles=(-5.0, 0.0, 5.0))
    with torch.no_grad():
        without, _ = objective(network, inputs, Batch(torch.arange(5), None, targets))
    targets[:2, 1:] = inputs[:2, :, 0, 0, None].transpose(1, 2).expand(2, 3, 4)  # copies identical to the images
    with torch.no_grad():
        same, _ = objective(network, inputs, Batch(torch.arange(5), None, targets))
    assert float(same) == pytest.approx(float(without))  # identical copies cost nothing
    targets[:2, 1] += 1.0
    with torch.no_grad():
        moved, _ = objective(network, inputs, Batch(torch.arange(5), None, targets))
    assert float(moved) > float(same)


def test_deepbit_and_usdh_differ_only_in_their_terms():
    settings = replace(USDH().plan("smoke")["mnist5k"], code_lengths=(8,))
    usdh_stages, deepbit_stages = USDH().training_stages(settings, 8), USDH("deepbit").training_stages(settings, 8)
    assert usdh_stages[0].objective.semantic and not deepbit_stages[0].objective.semantic
    assert usdh_stages[0].objective.quantization == "usdh" and deepbit_stages[0].objective.quantization == "deepbit"
    assert usdh_stages[-1].objective.angles == settings.angles and not usdh_stages[0].objective.angles
    assert not usdh_stages[0].objective.uses_labels


def test_the_chapter_prose_quotes_the_runs_numbers():
    import pandas as pd
    from types import SimpleNamespace

    from hashlib_core.studies.usdh import ablation_text, flowers_summary, flowers_text, similarity_text, teacher_text

    def fake(name, bits, value):
        return SimpleNamespace(method=SimpleNamespace(name=name), settings=SimpleNamespace(code_lengths=(bits,)),
                               headline=lambda method, length: value)

    main = SimpleNamespace(method=SimpleNamespace(name="USDH"), settings=SimpleNamespace(code_lengths=(16, 32, 64)),
                           headline=lambda method, length: {16: 0.40, 32: 0.42, 64: 0.45}[length])
    text = ablation_text({"deepbit": fake("DeepBit (same teacher)", 32, 0.31), "usdh": main},
                         {1.0: main, 0.5: fake("USDH", 64, 0.47)}, (32,), 64)  # the main run reused at two lengths
    assert "Table 3, 32 bits: USDH 0.420 > DeepBit (same teacher) 0.310" in text
    assert "USDH is above DeepBit (same teacher) at **1 of 1** code lengths" in text
    deepbit = SimpleNamespace(method=SimpleNamespace(name="DeepBit"), headline=lambda method, length: {16: 0.41, 64: 0.3}[length])
    assert "above DeepBit at **1 of 2** code lengths" in ablation_text({"deepbit": deepbit, "usdh": main}, {}, (16, 64), 64)
    assert "Table 4, 64 bits: mAP@1000 from 0.450 to 0.470" in text and "rho = 0.5)" in text
    rows = [{"descriptor": name, "seed": seed, "accuracy": value + 0.01 * seed, "svm seconds": 0.1, "svm C": 0.01}
            for seed in (0, 1) for name, value in (("HOG", 0.6), ("USDH 64-bit codes", 0.7))]
    summary = flowers_summary(rows)
    assert list(summary.index) == ["USDH 64-bit codes", "HOG"] and summary.loc["HOG", "splits"] == 2
    assert "**USDH 64-bit codes** (0.705)" in flowers_text(summary)
    from hashlib_core.studies.usdh import FlowerRecipe
    assert flowers_text(summary, recipe=FlowerRecipe(teacher_size=224, rho=2.0)).endswith(
        "Flower networks: 200 + 20 epochs, teacher at 224 px, rho 2.")
    teachers = [{"teacher": "pixels", "mAP@1000 (euclidean)": 0.2}, {"teacher": "lite0-128px", "mAP@1000 (euclidean)": 0.5}]
    assert teacher_text(teachers, "lite0-128px").startswith("Best teacher by its own Euclidean ranking: **lite0-128px**")
    spread = [{"teacher scale": scale, "rho": 1.0, "S 5 %": low, "S median": mid, "S 95 %": high}
              for scale, low, mid, high in (("as printed", 0.97, 0.99, 0.999), ("calibrated", 0.1, 0.5, 0.8))]
    assert "as printed, 90 % of the pairs have S between 0.970 and 0.999" in similarity_text(spread)
    assert isinstance(summary, pd.DataFrame)


def test_teachers_by_name_and_the_offline_error_for_vgg19(monkeypatch):
    import urllib.error

    import torchvision.models

    from hashlib_core.nets.dlbhc import PretrainedWeightsUnavailable
    from hashlib_core.teachers import teacher_kind, teacher_prefix

    assert teacher_kind("lite0-128px") == ("lite0", 128) and teacher_kind("vgg19-224px") == ("vgg19", 224)
    assert teacher_kind("gist512") is None and teacher_kind("resnet-224px") is None

    def offline(**_):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torchvision.models, "vgg19", offline)
    with pytest.raises(PretrainedWeightsUnavailable, match="teacher 'lite0'"):
        teacher_prefix("vgg19", 224).build()
    with pytest.raises(ValueError, match="teacher must be one of"):
        teacher_prefix("alexnet", 224)


def test_flower_recipe_narrows_the_chapter_settings_and_keeps_what_it_leaves_open():
    from hashlib_core.methods.usdh import PROFILES
    from hashlib_core.studies.usdh import FlowerRecipe

    base = PROFILES["paper"]["cifar10"]
    narrowed = FlowerRecipe(epochs=(30, 0), teacher_size=224, rho=2.0).settings(base, 64, {"train_per_class": 5})
    assert (narrowed.code_lengths, narrowed.protocol, narrowed.baselines) == ((64,), "flowers", ())
    assert narrowed.protocol_options == {"train_per_class": 5}
    assert (narrowed.teacher_size, narrowed.rho, narrowed.alpha, narrowed.hidden) == (224, 2.0, base.alpha,
                                                                                      base.hidden)
    assert narrowed.teacher_feature == "lite0-224px"
    assert narrowed.recipe.epochs == 30 and narrowed.rotation_recipe is None
    assert FlowerRecipe(epochs=(7, 3)).settings(base, 16).rotation_recipe.epochs == 3
    with pytest.raises(ValueError, match="epochs"):
        FlowerRecipe(epochs=(0, 1))


def test_svm_accuracy_scores_the_images_it_is_asked_for():
    from hashlib_core.protocols import Protocol
    from hashlib_core.studies.usdh import svm_accuracy

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    centres = 10 * np.eye(3)
    features = centres[labels] + rng.normal(0, 0.1, (60, 3))
    train, validation, query = (np.flatnonzero(np.arange(60) % 20 < 10), np.flatnonzero(np.arange(60) % 20 >= 15),
                                np.flatnonzero((np.arange(60) % 20 >= 10) & (np.arange(60) % 20 < 15)))
    features[query] = centres[(labels[query] + 1) % 3]  # test images drawn like another class: all wrong
    protocol = Protocol("flowers", 0, query, train, train, validation)
    assert svm_accuracy(features, labels, protocol, evaluate="validation")[0] == 1.0
    assert svm_accuracy(features, labels, protocol)[0] == 0.0
    with pytest.raises(ValueError, match="no validation images"):
        svm_accuracy(features, labels, replace(protocol, validation=np.array([], dtype=np.int64)),
                     evaluate="validation")
    with pytest.raises(ValueError, match="evaluate must be"):
        svm_accuracy(features, labels, protocol, evaluate="test")


def test_results_rows_keep_every_table_and_give_table_5_means_the_scoreboard_reads():
    import pandas as pd

    from hashlib_core.results import metric_value
    from hashlib_core.studies.usdh import TABLE5_MEAN, results_rows

    flowers = [{"descriptor": name, "seed": seed, "accuracy": value + 0.02 * seed, "svm seconds": 0.1, "svm C": 0.01}
               for seed in (0, 1, 2) for name, value in (("HOG", 0.6), ("USDH 64-bit codes", 0.7))]
    table3 = pd.DataFrame([{"method": "USDH", "bits": 32, "mAP@1000": 0.4}])
    table4 = pd.DataFrame([{"rho": 0.5, "bits": 64, "mAP@1000": 0.45}])
    teachers = [{"teacher": "lite0-128px", "mAP@1000 (euclidean)": 0.5}]
    similarities = [{"teacher scale": "calibrated", "rho": 1.0, "S median": 0.5}]
    rows = results_rows(teachers, similarities, table3, table4, flowers)
    record = {"metrics": rows}
    assert metric_value(record, TABLE5_MEAN, "USDH 64-bit codes", 64) == pytest.approx(0.72)  # mean of the 3 splits
    assert metric_value(record, TABLE5_MEAN, "HOG") == pytest.approx(0.62)  # a descriptor, not a code: no bits
    mean = next(row for row in rows if row["name"] == TABLE5_MEAN and row["method"] == "HOG")
    assert mean["splits"] == 3 and mean["std"] == pytest.approx(0.02)
    assert sum(row["name"] == "table 5 accuracy" for row in rows) == 6
    assert metric_value(record, "table 4 mAP@1000", "rho=0.5", 64) == 0.45
    assert metric_value(record, "table 3 mAP@1000", "USDH", 32) == 0.4
    assert {row["name"] for row in rows} >= {"teacher", "similarity"}
