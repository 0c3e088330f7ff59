"""Li & Li: the small Inception backbone (Zhang et al. 2017) under DLBHC's latent-layer head."""

import pytest
import torch

from hashlib_core.nets.inception import DownsampleBlock, InceptionBlock, lili_inception, small_inception


def test_the_small_inception_has_zhang_et_al_s_size():
    features, pooled = small_inception(3)
    assert pooled == 336  # Inception(176, 160)
    # Zhang et al. quote 1,649,402 parameters with the 10-way output layer (336 x 10 + 10 = 3,370 of them)
    assert sum(parameter.numel() for parameter in features.parameters()) + 3370 == pytest.approx(1_649_402, rel=0.002)


def test_blocks_concatenate_their_branches():
    inputs = torch.rand(2, 8, 16, 16)
    assert InceptionBlock(8, 3, 5)(inputs).shape == (2, 8, 16, 16)
    assert DownsampleBlock(8, 4)(inputs).shape == (2, 12, 8, 8)


@pytest.mark.parametrize("channels, size", [(3, 32), (1, 28)])
def test_the_latent_layer_sits_between_f4_and_f5(channels, size):
    network = lili_inception(48, 10, channels=channels, width=0.25, f4_dim=64)
    outputs = network.eval().forward_all(torch.rand(3, channels, size, size))
    assert outputs["f7"].shape == (3, 64) and outputs["latent"].shape == (3, 48) and outputs["scores"].shape == (3, 10)
    assert torch.all((outputs["latent"] > 0) & (outputs["latent"] < 1))
    with pytest.raises(ValueError, match="width must be positive"):
        small_inception(3, 0)
