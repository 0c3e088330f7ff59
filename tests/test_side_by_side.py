"""Code lengths trained side by side in worker processes give what this process would have trained."""

import os

import pytest
import torch

from hashlib_core.experiment import DeepHashingMethod, run_method, train_network
from hashlib_core.protocols import protocol_for
from hashlib_core.runtime import available_cores
from hashlib_core.side_by_side import core_sets, side_by_side_workers, train_side_by_side
from test_experiment import PairwiseToy, _toy_dataset


class BrokenAt16(PairwiseToy, name="broken toy"):
    """Fails to build its 16-bit network: the error must reach the caller."""

    def build_network(self, dataset, bits, settings):
        if bits == 16:
            raise RuntimeError("no 16-bit network here")
        return super().build_network(dataset, bits, settings)


def test_worker_count_follows_the_device_cores_and_networks():
    assert side_by_side_workers("cpu", 4, workers=3) == 3
    assert side_by_side_workers("cpu", 2, workers=8) == 2  # never more workers than networks
    assert side_by_side_workers("cpu", 4) == min(available_cores(), 4)
    assert side_by_side_workers("cpu", 1) == 1
    with pytest.raises(ValueError, match="workers must be >= 1"):
        side_by_side_workers("cpu", 4, workers=0)


def test_core_sets_are_disjoint_and_refuse_more_workers_than_cores():
    sets = core_sets(1)
    assert len(sets) == 1 and len(sets[0]) == available_cores()
    if available_cores() >= 2:
        first, second = core_sets(2)
        assert first and second and not first & second
    with pytest.raises(ValueError, match="need at least"):
        core_sets(available_cores() + 1)


def test_side_by_side_networks_equal_the_ones_trained_here(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    dataset, method = _toy_dataset(), PairwiseToy()
    settings = method.plan("quick")["toy"]
    protocol = protocol_for(dataset, settings.protocol, **settings.protocol_options)
    workers = min(2, available_cores())
    trained = train_side_by_side(method, dataset, protocol, settings, [8, 16], workers, checkpoints=True,
                                 progress=False)
    assert list(trained) == [8, 16]
    assert len(list((tmp_path / "checkpoints" / "toy").glob("*.pt"))) == 2  # workers checkpoint too
    for bits, network in trained.items():
        here = train_network(method, dataset, protocol, settings, bits, checkpoints=False, progress=False)
        assert [entry["loss"] for entry in network.history] == pytest.approx(
            [entry["loss"] for entry in here.history], rel=1e-5)
        for theirs, ours in zip(network.model.state_dict().values(), here.model.state_dict().values()):
            torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-6)


def test_run_method_side_by_side_scores_like_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    method = PairwiseToy()
    settings = method.plan("quick")["toy"]
    side = run_method(method, _toy_dataset(), settings, progress=False, checkpoints=False, workers=2)
    here = run_method(method, _toy_dataset(), settings, progress=False, checkpoints=False, workers=1)
    assert side.workers == 2 and here.workers == 1
    assert "train 2 networks, 2 side by side" in side.stages and "train 8 bits" in here.stages
    for bits in (8, 16):
        assert side.headline("pairwise toy", bits) == pytest.approx(here.headline("pairwise toy", bits), abs=1e-4)


def test_a_worker_error_reaches_the_caller():
    method = BrokenAt16()
    with pytest.raises(RuntimeError, match="no 16-bit network here"):
        run_method(method, _toy_dataset(), method.plan("quick")["toy"], progress=False, checkpoints=False,
                   workers=2)


class ClassifierToy(PairwiseToy, name="classifier toy"):
    """A linear hash layer under a linear classifier, trained on the class labels: it reports test accuracy."""

    def build_network(self, dataset, bits, settings):
        return torch.nn.Sequential(super().build_network(dataset, bits, settings), torch.nn.Linear(bits, 4))

    def layers(self, model, inputs):
        hashed = model[0](inputs)
        return {"hash": hashed, "scores": model[1](hashed)}

    def training_stages(self, settings, bits):
        return DeepHashingMethod.training_stages(self, settings, bits)


def test_side_by_side_runs_report_accuracy_on_the_test_images_only(tmp_path, monkeypatch):
    # handing the dataset to workers moves its tensors to shared memory: a numpy view taken before would dangle
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    method = ClassifierToy()
    settings = method.plan("quick")["toy"]
    side = run_method(method, _toy_dataset(), settings, progress=False, checkpoints=False, workers=2)
    is_test = side.dataset.is_test.numpy()
    for bits in (8, 16):
        scores = side.outputs[bits]["scores"]
        expected = (scores[is_test].argmax(axis=1) == side.labels[is_test]).mean()
        assert side.accuracy[bits] == pytest.approx(expected)


def test_a_worker_stops_when_the_run_that_started_it_is_killed(tmp_path):
    """A killed chapter run (its kernel) must not leave side-by-side workers training on their own."""
    import subprocess
    import sys
    import time

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only")
    pid_file, script = tmp_path / "child.pid", tmp_path / "parent.py"
    script.write_text(f"""
import multiprocessing, pathlib, time
from hashlib_core.side_by_side import stop_with_parent

def child():
    assert stop_with_parent()
    pathlib.Path({str(pid_file)!r}).write_text(str(multiprocessing.current_process().pid))
    time.sleep(120)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child)
    process.start()
    time.sleep(120)
""")
    parent = subprocess.Popen([sys.executable, str(script)])
    deadline = time.time() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline, "the child never started"
        time.sleep(0.1)
    child = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            state = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):  # dead, waiting for a parent (here: init) to reap it
            return
        time.sleep(0.1)
    os.kill(child, 9)
    raise AssertionError("the child outlived its killed parent")
