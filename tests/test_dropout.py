"""FastDropout: the same Bernoulli keep mask as nn.Dropout, drawn 16 bits at a time on the CPU."""

import pytest
import torch

from hashlib_core.nets.dropout import FastDropout, keep_mask


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_keeps_one_minus_p_of_the_elements_and_scales_them(p):
    torch.manual_seed(0)
    inputs = torch.ones(200, 50, 10)
    outputs = FastDropout(p).train()(inputs)
    kept = outputs != 0
    assert kept.float().mean().item() == pytest.approx(1 - p, abs=0.005)
    torch.testing.assert_close(outputs[kept], torch.full_like(outputs[kept], 1 / (1 - p)))


def test_eval_mode_and_p_zero_are_the_identity():
    inputs = torch.randn(8, 4, 5, 5)
    assert torch.equal(FastDropout(0.5).eval()(inputs), inputs)
    assert torch.equal(FastDropout(0.0).train()(inputs), inputs)


def test_the_same_seed_gives_the_same_mask_and_the_gradient_is_the_scaled_mask():
    inputs = torch.randn(16, 32, requires_grad=True)
    torch.manual_seed(3)
    first = FastDropout(0.5).train()(inputs)
    first.sum().backward()
    torch.manual_seed(3)
    second = FastDropout(0.5).train()(inputs.detach())
    assert torch.equal(first.detach(), second)
    torch.testing.assert_close(inputs.grad, (first.detach() != 0).float() * 2.0)


def test_channels_last_inputs_keep_their_layout_and_masks_are_not_channel_tied():
    torch.manual_seed(0)
    inputs = torch.ones(64, 16, 6, 6).contiguous(memory_format=torch.channels_last)
    mask = keep_mask(inputs, 0.5)
    assert mask.shape == inputs.shape and mask.is_contiguous(memory_format=torch.channels_last)
    outputs = FastDropout(0.5).train()(inputs)
    assert outputs.is_contiguous(memory_format=torch.channels_last)
    per_channel = (outputs != 0).float().mean(dim=(0, 2, 3))
    assert per_channel.min() > 0.4 and per_channel.max() < 0.6  # no channel kept or dropped as a whole


def test_strided_inputs_fall_back_to_nn_dropout():
    inputs = torch.ones(10, 10).t()[:, ::2]  # neither contiguous nor channels_last
    assert keep_mask(inputs, 0.5) is None
    torch.manual_seed(0)
    outputs = FastDropout(0.5).train()(inputs)
    assert set(outputs.unique().tolist()) <= {0.0, 2.0}
