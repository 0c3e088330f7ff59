"""The generic path every chapter runs through, proven with two toy methods (pairwise, and label-free)."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from hashlib_core.codes import SIGN_THRESHOLD
from hashlib_core.data import ImageDataset
from hashlib_core.experiment import (DeepHashingMethod, TrainingStage, checkpoint_path, run_method, train_network,
                                     training_key, write_run_results)
from hashlib_core.losses import dsh_pairwise_loss
from hashlib_core.nets.notation import Standardize
from hashlib_core.objectives import Classification, PairwiseLoss, TeacherTargets
from hashlib_core.protocols import protocol_for
from hashlib_core.results import metric_value, read_results
from hashlib_core.settings import BaselineRun, Recipe, RunSettings

QUICK = Recipe(epochs=4, lr=1e-2, batch_size=20, padding=0, flip=False, schedule="constant")


def _toy_dataset(checksum="0" * 64, n=400, classes=4):
    """1x4x4 images: a class pattern plus noise, the last quarter as the official test split."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % classes
    patterns = torch.rand(classes, 1, 4, 4, generator=generator) * 200
    noise = torch.rand(n, 1, 4, 4, generator=generator) * 55
    images = (patterns[labels] + noise).to(torch.uint8)
    return ImageDataset("toy", images, labels, torch.arange(n) >= 3 * n // 4, [f"c{c}" for c in range(classes)],
                        "test", checksum)


def _linear_hash_layer(bits: int) -> nn.Module:
    return nn.Sequential(Standardize(1), nn.Flatten(), nn.Linear(16, bits))


def _hash_outputs(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    return model(inputs)


PAIRWISE_PROFILES = {"quick": {"toy": RunSettings(code_lengths=(8, 16), recipe=QUICK, protocol="dlbhc",
                                                 protocol_options={"n_queries": 40}, baselines=(BaselineRun("lsh"),),
                                                 report_ks=(1, 10, 50), map_depth=50)}}
TEACHER_PROFILES = {"quick": {"toy": RunSettings(code_lengths=(8,), recipe=QUICK, protocol="deepbit",
                                                baselines=(BaselineRun("lsh"),), report_ks=(1, 10), map_depth=50)}}


class PairwiseToy(DeepHashingMethod, name="pairwise toy", chapter="toy", profiles=PAIRWISE_PROFILES,
                  threshold=SIGN_THRESHOLD):
    """A linear hash layer trained with the DSH loss over in-batch pairs."""

    def build_network(self, dataset, bits, settings):
        return _linear_hash_layer(bits)

    def layers(self, model, inputs):
        return {"hash": model(inputs)}

    def training_stages(self, settings, bits):
        return [TrainingStage("pairs", settings.recipe, PairwiseLoss(dsh_pairwise_loss, _hash_outputs))]


def similarity_agreement(outputs: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Cosine similarities of relaxed codes should match the teacher's (a label-free objective)."""
    codes = nn.functional.normalize(torch.tanh(outputs), dim=1)
    targets = nn.functional.normalize(teacher - teacher.mean(dim=0), dim=1)
    return (codes @ codes.T - targets @ targets.T).abs().mean()


class SpyTeacherTargets(TeacherTargets):
    seen_labels: list = []

    def __call__(self, model, inputs, batch):
        SpyTeacherTargets.seen_labels.append(batch.labels)
        return super().__call__(model, inputs, batch)


class TeacherToy(PairwiseToy, name="teacher toy", profiles=TEACHER_PROFILES):
    """The same layer trained label-free from a 'teacher' (here: the pixels themselves) on an unsupervised protocol."""

    def training_stages(self, settings, bits):
        return [TrainingStage("teacher", settings.recipe, SpyTeacherTargets(similarity_agreement, _hash_outputs))]

    def training_targets(self, dataset, protocol, settings, device):
        return dataset.images[protocol.train].float().flatten(1)


def test_a_pairwise_method_goes_through_train_encode_evaluate_baselines_and_results(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    method = PairwiseToy()
    run = run_method(method, _toy_dataset(), method.plan("quick")["toy"], progress=False, workers=1)
    assert set(run.reports) == {("pairwise toy", 8), ("pairwise toy", 16), ("LSH", 8), ("LSH", 16)}
    assert run.headline("pairwise toy", 16) > run.headline("LSH", 16)
    assert run.accuracy == {}  # no class scores: no accuracy
    assert all(entry["accuracy"] is None and entry["stage"] == "pairs" for entry in run.networks[8].history)
    assert {"load data", "train 8 bits", "encode and evaluate 16 bits", "classic baselines"} <= set(run.stages)
    path = write_run_results(run, "quick", extra_rows=[{"name": "study", "method": "x", "value": 1.0}],
                             directory=tmp_path / "results")
    written = read_results(path)
    assert written["parameters"]["settings"]["recipe"]["lr"] == 1e-2  # recorded from the typed settings
    assert written["parameters"]["profile"] == "quick" and written["chapter"] == "toy"
    assert metric_value(written, "mAP@50", "pairwise toy", 16) == run.headline("pairwise toy", 16)
    assert metric_value(written, "study", "x") == 1.0
    assert len(list((tmp_path / "checkpoints" / "toy").glob("*.pt"))) == 2


def test_a_label_free_method_never_sees_a_training_label(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    SpyTeacherTargets.seen_labels = []
    method = TeacherToy()
    run = run_method(method, _toy_dataset(), method.plan("quick")["toy"], progress=False, workers=1)  # spy here
    assert SpyTeacherTargets.seen_labels and all(labels is None for labels in SpyTeacherTargets.seen_labels)
    assert not run.protocol.supervised
    assert run.headline("teacher toy", 8) > run.headline("LSH", 8)  # labels only score the retrieval


def test_a_labelled_objective_on_an_unsupervised_protocol_is_refused():
    dataset = _toy_dataset()
    protocol = protocol_for(dataset, "deepbit")
    method = PairwiseToy()
    with pytest.raises(ValueError, match="unsupervised"):
        train_network(method, dataset, protocol, TEACHER_PROFILES["quick"]["toy"], 8, checkpoints=False,
                      progress=False)


def test_fit_refuses_labels_for_a_label_free_objective():
    from hashlib_core.train import fit

    dataset = _toy_dataset()
    objective = TeacherTargets(similarity_agreement, _hash_outputs)
    with pytest.raises(ValueError, match="pass labels=None"):
        fit(_linear_hash_layer(8), dataset.images, dataset.labels, objective, targets=dataset.images.float(),
            epochs=1, progress=False)
    with pytest.raises(ValueError, match="needs targets"):
        fit(_linear_hash_layer(8), dataset.images, None, objective, epochs=1, progress=False)


def test_the_same_seed_gives_the_same_weights_whatever_ran_before():
    dataset = _toy_dataset()
    method = PairwiseToy()
    settings = method.plan("quick")["toy"]
    protocol = protocol_for(dataset, "dlbhc", n_queries=40)
    first = train_network(method, dataset, protocol, settings, 8, checkpoints=False, progress=False)
    torch.rand(1000), np.random.rand(10)  # disturb every global generator
    second = train_network(method, dataset, protocol, settings, 8, checkpoints=False, progress=False)
    for before, after in zip(first.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(before, after)


def test_checkpoint_keys_follow_the_training_settings_not_the_scoring_ones(tmp_path):
    dataset = _toy_dataset()
    protocol = protocol_for(dataset, "dlbhc", n_queries=4)
    settings = PAIRWISE_PROFILES["quick"]["toy"]

    def path(settings=settings, seed=0, data=dataset, protocol=protocol, bits=48):
        return checkpoint_path("toy", "48b", data, protocol, seed, {"settings": training_key(settings), "bits": bits},
                               tmp_path)

    from dataclasses import replace

    base = path()
    assert base == path() and base.parent == tmp_path / "checkpoints" / "toy" and base.name.startswith("toy-48b-")
    assert base == path(replace(settings, baselines=(), map_depth=10, code_lengths=(4,)))  # scoring only
    others = [path(replace(settings, recipe=replace(QUICK, epochs=5))), path(seed=1), path(bits=32),
              path(data=_toy_dataset("1" * 64)), path(protocol=protocol_for(dataset, "dlbhc", n_queries=5))]
    assert len({base, *others}) == 6


def test_classification_reports_training_accuracy():
    from hashlib_core.train import fit

    dataset = _toy_dataset()
    model = nn.Sequential(Standardize(1), nn.Flatten(), nn.Linear(16, 4))
    history = fit(model, dataset.images, dataset.labels, Classification(), epochs=2, batch_size=20,
                  progress=False)
    assert 0.0 <= history[-1]["accuracy"] <= 1.0


def test_a_method_card_is_checked_when_the_class_is_defined():
    with pytest.raises(TypeError, match="unknown method card field"):
        class Misspelt(DeepHashingMethod, name="x", chapter="x", profiles={}, hashlayer="h"):
            pass
    with pytest.raises(TypeError, match="must give chapter, profiles"):
        class Incomplete(DeepHashingMethod, name="x"):
            pass


def test_a_baseline_can_run_on_its_own_feature(tmp_path, monkeypatch):
    """``BaselineRun(feature=...)``: the same baseline on another feature kind gets its own row (here the kind is
    the run's own, so its codes must equal the plain baseline's)."""
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    method = PairwiseToy()
    settings = replace(method.plan("quick")["toy"], code_lengths=(8,),
                       baselines=(BaselineRun("lsh"), BaselineRun("lsh", feature="pixels")))
    run = run_method(method, _toy_dataset(), settings, progress=False, workers=1)
    assert set(run.reports) == {("pairwise toy", 8), ("LSH", 8), ("LSH on pixels", 8)}
    assert np.array_equal(run.codes[("LSH", 8)], run.codes[("LSH on pixels", 8)])
