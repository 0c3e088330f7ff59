import pytest
import torch

from hashlib_core.nets.dlbhc import (LatentHashNet, PretrainedWeightsUnavailable, dlbhc_alexnet, dlbhc_small,
                                     f7_outputs, latent_outputs)
from hashlib_core.train import encode


@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 28, 28)])
def test_small_backbone_puts_h_sigmoid_units_between_f7_and_f8(shape):
    net = dlbhc_small(48, 10, channels=shape[0], width=8, f7_dim=64).eval()
    outputs = net.forward_all(torch.rand(5, *shape))
    assert outputs["f7"].shape == (5, 64) and (outputs["f7"] >= 0).all()  # F7 is rectified
    assert outputs["latent"].shape == (5, 48)
    assert ((outputs["latent"] > 0) & (outputs["latent"] < 1)).all()  # sigmoid
    assert outputs["scores"].shape == (5, 10)
    assert isinstance(net.latent[1], torch.nn.Sigmoid) and net.classifier.in_features == 48
    assert torch.equal(net(torch.zeros(2, *shape)), net.forward_all(torch.zeros(2, *shape))["scores"])


def test_codes_are_latent_activations_above_one_half():
    net = dlbhc_small(16, 10, width=8, f7_dim=32)
    images = torch.randint(0, 255, (6, 3, 32, 32), dtype=torch.uint8)
    encoded = encode(net, images, layer=latent_outputs, threshold=0.5, device="cpu")
    assert ((encoded.bits == 1) == (encoded.features > 0.5)).all()
    assert encode(net, images, layer=f7_outputs, device="cpu").features.shape == (6, 32)


def test_alexnet_path_builds_without_download_and_inserts_h_after_f7():
    net = dlbhc_alexnet(48, 10, pretrained=False).eval()
    assert net.name == "alexnet-scratch" and net.f7_dim == 4096
    outputs = net.forward_all(torch.rand(2, 3, 32, 32))  # resized to 224 inside
    assert outputs["f7"].shape == (2, 4096) and outputs["latent"].shape == (2, 48)
    assert outputs["scores"].shape == (2, 10)
    assert net.forward_all(torch.rand(1, 1, 28, 28))["latent"].shape == (1, 48)  # grey input


def test_asking_for_imagenet_weights_offline_names_the_cause(monkeypatch):
    from torchvision.models import AlexNet_Weights

    def offline(self, *args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(type(AlexNet_Weights.IMAGENET1K_V1), "get_state_dict", offline)
    with pytest.raises(PretrainedWeightsUnavailable, match="could not be loaded.*name resolution"):
        dlbhc_alexnet(48, pretrained=True)


def test_bad_head_sizes_get_a_clear_error():
    with pytest.raises(ValueError, match="at least 1 latent unit"):
        LatentHashNet(torch.nn.Identity(), 8, 0, 10, "x")
