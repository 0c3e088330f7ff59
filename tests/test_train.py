import numpy as np
import pytest
import torch

from hashlib_core.codes import binarize, unpack
from hashlib_core.losses import classification_loss, dsh_pairwise_loss
from hashlib_core.nets import build_from_notation
from hashlib_core import train as train_module
from hashlib_core.runtime import pick_device
from hashlib_core.settings import Recipe
from hashlib_core.train import Augmentation, augment_batch, encode, fit, load_checkpoint

TINY = "1x8x8-4C3P1-MP2S2-H6-D0.5-H3"


@pytest.fixture
def tiny_data():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 3
    images = torch.randint(0, 60, (60, 1, 8, 8), dtype=torch.uint8, generator=generator)
    images[:, :, :4] += (labels * 60).to(torch.uint8)[:, None, None, None]  # learnable class signal
    return images, labels


def _weights(model):
    return torch.cat([value.flatten().float() for value in model.state_dict().values()])


def _train(tiny_data, seed=0, **options):
    torch.manual_seed(0)
    model = build_from_notation(TINY)
    history = fit(model, *tiny_data, classification_loss, batch_size=20, progress=False, device="cpu",
                  seed=seed, **{"epochs": 2, "augmentation": Augmentation(1, True), **options})
    return model, history


def test_two_runs_with_the_same_seed_give_identical_weights(tiny_data):
    first, _ = _train(tiny_data, seed=5)
    second, _ = _train(tiny_data, seed=5)
    other, _ = _train(tiny_data, seed=6)
    assert torch.equal(_weights(first), _weights(second))
    assert not torch.equal(_weights(first), _weights(other))


def test_resuming_after_an_interruption_equals_training_straight_through(tiny_data, tmp_path, monkeypatch):
    straight, straight_history = _train(tiny_data, epochs=3)
    checkpoint = tmp_path / "run.pt"

    class Crash(Exception):
        pass

    original = train_module.save_checkpoint

    def save_then_crash(path, state):
        original(path, state)
        if state["epoch"] == 2:
            raise Crash  # as if the machine died right after epoch 2 was saved

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_crash)
    with pytest.raises(Crash):
        _train(tiny_data, epochs=3, checkpoint=checkpoint)
    monkeypatch.setattr(train_module, "save_checkpoint", original)
    assert load_checkpoint(checkpoint)["epoch"] == 2
    assert not list(tmp_path.glob("*.partial"))  # atomic writes leave no half files
    resumed, history = _train(tiny_data, epochs=3, checkpoint=checkpoint, resume=True)
    assert torch.equal(_weights(resumed), _weights(straight))
    assert [record["epoch"] for record in history] == [1, 2, 3]
    assert history[-1]["loss"] == pytest.approx(straight_history[-1]["loss"])


def test_history_records_loss_accuracy_time_and_speed(tiny_data):
    _, history = _train(tiny_data, epochs=3, validation=tiny_data)
    assert [record["epoch"] for record in history] == [1, 2, 3]
    for record in history:
        assert record["loss"] > 0 and 0 <= record["accuracy"] <= 1 and 0 <= record["val_accuracy"] <= 1
        assert record["seconds"] > 0 and record["images_per_second"] > 0
    assert history[-1]["loss"] < history[0]["loss"]


def test_pairwise_loss_trains_on_in_batch_pairs_and_reports_no_accuracy(tiny_data):
    torch.manual_seed(0)
    model = build_from_notation("1x8x8-4C3P1-MP2S2-H6")  # outputs 6 real values: the code layer
    history = fit(model, *tiny_data, dsh_pairwise_loss, epochs=10, batch_size=20, lr=1e-2, schedule="constant",
                  progress=False, device="cpu")
    assert all(record["accuracy"] is None for record in history)
    assert history[-1]["loss"] < history[0]["loss"]


def test_augmentation_crops_a_window_of_the_padded_image_and_flips():
    generator = torch.Generator().manual_seed(1)
    batch = torch.randint(0, 256, (16, 3, 6, 6), dtype=torch.uint8, generator=generator)
    assert torch.equal(augment_batch(batch, Augmentation(0, False), generator), batch)
    flipped = augment_batch(batch, Augmentation(0, True), generator)
    same = [torch.equal(flipped[i], batch[i]) for i in range(16)]
    mirrored = [torch.equal(flipped[i], batch[i].flip(-1)) for i in range(16)]
    assert all(s or m for s, m in zip(same, mirrored)) and any(same) and any(mirrored)
    cropped = augment_batch(batch, Augmentation(2, False), generator)
    padded = torch.nn.functional.pad(batch, (2, 2, 2, 2))
    for i in range(16):
        windows = [padded[i, :, r:r + 6, c:c + 6] for r in range(5) for c in range(5)]
        assert any(torch.equal(cropped[i], window) for window in windows)
    assert cropped.dtype == torch.uint8 and cropped.shape == batch.shape


def test_brightness_and_contrast_jitter_scale_each_image_within_their_ranges():
    generator = torch.Generator().manual_seed(2)
    batch = torch.full((64, 3, 4, 4), 100, dtype=torch.uint8)
    batch[:, :, :2] = 60  # two grey levels, mean 80
    brighter = augment_batch(batch, Augmentation(0, False, brightness=0.2), generator).float()
    factors = brighter[:, 0, 3, 3] / 100
    assert factors.min() >= 0.79 and factors.max() <= 1.21 and factors.std() > 0.05
    assert torch.allclose(brighter[:, 0, 0, 0], (60 * factors).round(), atol=1)  # one factor per image
    contrasted = augment_batch(batch, Augmentation(0, False, contrast=0.5), generator).float()
    spread = (contrasted[:, 0, 3, 3] - contrasted[:, 0, 0, 0]) / 40
    assert spread.min() >= 0.45 and spread.max() <= 1.55 and spread.std() > 0.1
    assert torch.allclose(contrasted.mean(dim=(1, 2, 3)), torch.full((64,), 80.0), atol=1)  # the mean is kept
    with pytest.raises(ValueError, match="brightness"):
        Recipe(epochs=1, brightness=1.5)


def test_encode_returns_layer_outputs_and_their_packed_codes(tiny_data):
    model, _ = _train(tiny_data, epochs=1)
    model.train()
    encoded = encode(model, tiny_data[0], layer=lambda net, x: net.forward_layers(x)["fc1"], batch_size=7)
    assert encoded.features.shape == (60, 6) and encoded.features.dtype == np.float32
    np.testing.assert_array_equal(unpack(encoded.codes), binarize(encoded.features))
    assert model.training  # the mode is restored
    again = encode(model, tiny_data[0], layer=lambda net, x: net.forward_layers(x)["fc1"], threshold=0.5)
    np.testing.assert_array_equal(again.bits, binarize(encoded.features, 0.5))  # eval mode: no dropout noise


@pytest.mark.parametrize("call, message", [
    (lambda data: fit(build_from_notation(TINY), data[0].long(), data[1], classification_loss, epochs=1),
     "uint8 tensor"),
    (lambda data: fit(build_from_notation(TINY), data[0], data[1][:5], classification_loss, epochs=1),
     "one per image"),
    (lambda data: fit(build_from_notation(TINY), data[0], data[1], classification_loss, epochs=1, batch_size=500),
     "cannot fill one batch"),
    (lambda data: fit(build_from_notation(TINY), data[0], data[1], classification_loss, epochs=0), "positive"),
    (lambda data: fit(build_from_notation(TINY), data[0], data[1], classification_loss, epochs=1,
                      batch_size=20, optimizer="lbfgs", progress=False), "optimizer must be"),
])
def test_bad_training_requests_get_a_clear_error(tiny_data, call, message):
    with pytest.raises(ValueError, match=message):
        call(tiny_data)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without a GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pick_device("cuda")
    assert pick_device("auto").type == "cpu"


def test_weight_averaging_keeps_the_running_average_not_the_last_weights(tiny_data):
    torch.manual_seed(0)
    initial = _weights(build_from_notation(TINY))
    raw, _ = _train(tiny_data, epochs=3)
    averaged, _ = _train(tiny_data, epochs=3, ema_decay=0.999999)
    # an average that barely moves stays at the initial weights; the raw weights have moved away
    assert torch.allclose(_weights(averaged), initial, atol=1e-4)
    assert not torch.allclose(_weights(raw), initial, atol=1e-2)
    with pytest.raises(ValueError, match="ema_decay"):
        _train(tiny_data, ema_decay=1.5)


def test_a_schedule_can_be_any_callable_returning_a_scheduler(tiny_data):
    torch.manual_seed(0)
    initial = _weights(build_from_notation(TINY))
    frozen = lambda optimizer, total_steps: torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.0)
    model, history = _train(tiny_data, schedule=frozen)
    assert history[-1]["lr"] == 0.0
    assert torch.equal(_weights(model), initial)  # learning rate 0 throughout: nothing moves


def test_summary_lines_are_printed_every_log_every_epochs(tiny_data, capsys):
    torch.manual_seed(0)
    fit(build_from_notation(TINY), *tiny_data, classification_loss, epochs=5, batch_size=20, device="cpu",
        progress=True, log_every=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 2/5", "epoch 4/5", "epoch 5/5"]


def test_lr_scales_slow_down_the_named_submodule_only(tiny_data):
    from hashlib_core.nets.dlbhc import dlbhc_small

    images, labels = tiny_data
    images = images.repeat(1, 1, 4, 4)  # 32x32, the size the small DLBHC backbone expects

    def trained(scales):
        torch.manual_seed(0)
        model = dlbhc_small(4, 3, channels=1, width=4, f7_dim=8)
        parameters = lambda name: torch.cat([p.detach().flatten().clone() for p in getattr(model, name).parameters()])
        before = {name: parameters(name) for name in ("stem", "latent")}
        fit(model, images, labels, classification_loss, epochs=1, batch_size=20, schedule="constant", lr=1e-2,
            device="cpu", progress=False, lr_scales=scales)
        return {name: (parameters(name) - weights).abs().max().item()
                for name, weights in before.items()}

    plain, slowed = trained(None), trained({"stem": 1e-6})
    assert slowed["stem"] < 1e-3 * plain["stem"]  # the stem barely moves
    assert slowed["latent"] > 0.1 * plain["latent"]  # the new layers still learn
    with pytest.raises(ValueError, match="submodules are"):
        trained({"backbone": 0.1})
    with pytest.raises(ValueError, match="positive"):
        trained({"stem": 0.0})


@pytest.mark.parametrize("damage", [lambda data: b"", lambda data: data[: len(data) // 2], lambda data: b"not a zip"])
def test_a_damaged_checkpoint_is_named_with_what_to_do(tiny_data, tmp_path, damage):
    from hashlib_core.train import CheckpointError

    checkpoint = tmp_path / "run.pt"
    _train(tiny_data, epochs=1, checkpoint=checkpoint)
    checkpoint.write_bytes(damage(checkpoint.read_bytes()))
    with pytest.raises(CheckpointError, match="run.pt: damaged checkpoint.*delete it and re-run"):
        _train(tiny_data, epochs=1, checkpoint=checkpoint, resume=True)


def test_resuming_a_finished_run_with_more_epochs_says_why_it_cannot(tiny_data, tmp_path):
    checkpoint = tmp_path / "run.pt"
    _train(tiny_data, epochs=2, checkpoint=checkpoint)
    with pytest.raises(ValueError, match="run of 2 epochs.*asks for 4.*another checkpoint path"):
        _train(tiny_data, epochs=4, checkpoint=checkpoint, resume=True)


def test_bf16_autocast_trains_with_float32_master_weights(tiny_data):
    model, history = _train(tiny_data, epochs=2, precision="bf16")
    assert all(value.dtype == torch.float32 for value in model.state_dict().values() if value.is_floating_point())
    assert np.isfinite(history[-1]["loss"]) and history[-1]["loss"] < history[0]["loss"] * 1.5
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16'"):
        _train(tiny_data, epochs=1, precision="fp16")


def test_fit_speed_trains_the_warm_up_then_times_the_whole_batches_after_it(monkeypatch):
    from hashlib_core import train

    images = torch.randint(0, 256, (23 * 4 + 3, 1, 8, 8), dtype=torch.uint8)
    labels = torch.randint(0, 3, (len(images),))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    seen = []
    real_fit = train.fit
    monkeypatch.setattr(train, "fit", lambda model, batch, *rest, **options: (seen.append(len(batch)),
                                                                                real_fit(model, batch, *rest, **options)))
    before = model[1].weight.detach().clone()
    speed = train.fit_speed(model, images, labels, torch.nn.functional.cross_entropy, batch_size=4, channels_last=False)
    assert seen == [12, 80] and speed > 0  # 3 warm-up batches, then the 20 whole batches (3 images left over)
    assert not torch.equal(before, model[1].weight)
    with pytest.raises(ValueError, match="at least one batch after them"):
        train.fit_speed(model, images[:15], labels[:15], torch.nn.functional.cross_entropy, batch_size=4)
