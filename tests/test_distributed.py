"""Data-parallel training: two processes (gloo, as under torchrun) train the same network as one process."""

import pytest
import torch
from torch import nn

from hashlib_core.train import fit


def _data():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(120) % 3
    images = (torch.rand(120, 1, 4, 4, generator=generator) * 80).to(torch.uint8)
    images[:, 0, 0, :] += (labels * 60).to(torch.uint8)[:, None]  # the first row tells the class
    return images, labels


def _network():
    torch.manual_seed(1)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 3))


def _train(network):
    images, labels = _data()
    return fit(network, images, labels, nn.functional.cross_entropy, epochs=3, batch_size=20, lr=0.05,
               optimizer="sgd", weight_decay=0.0, schedule="constant", progress=False, channels_last=False,
               threads=1)


def _worker(rank: int, world: int, store: str, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        network = _network()
        history = _train(network)
        if rank == 0:
            torch.save({"state": network.state_dict(), "history": history}, out)
    finally:
        dist.destroy_process_group()


def test_two_processes_train_what_one_process_trains(tmp_path):
    import torch.multiprocessing as mp

    out = tmp_path / "two.pt"
    mp.spawn(_worker, args=(2, str(tmp_path / "store"), str(out)), nprocs=2, join=True)
    two = torch.load(out, weights_only=False)
    one_network = _network()
    one = _train(one_network)
    # the gradient of a mean over the batch is the mean of the two halves' gradients: equal up to float sums
    for name, value in one_network.state_dict().items():
        torch.testing.assert_close(two["state"][name], value, rtol=1e-5, atol=1e-6)
    assert [entry["loss"] for entry in two["history"]] == pytest.approx([entry["loss"] for entry in one], rel=1e-5)


def test_a_batch_that_does_not_split_over_the_processes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("hashlib_core.train.process_group", lambda: (0, 3))
    images, labels = _data()
    with pytest.raises(ValueError, match="must split evenly over 3 processes"):
        fit(_network(), images, labels, nn.functional.cross_entropy, epochs=1, batch_size=20, progress=False)
