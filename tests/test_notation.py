import pytest
import torch

from hashlib_core.nets import build_from_notation, parse_notation

CIFAR_48 = "3x32x32-32C3P1-32C1P0-MP3S2-D0.5-32C3P1-32C3P1-MP3S2-D0.5-64C3P1-64C3P1-MP3S2-D0.5-H48-D0.5-H10"
MNIST_48 = "1x28x28-32C5P0-MP2S2-32C5P0-MP2S2-H48-D0.5-H10"


def _parameters(net):
    return sum(parameter.numel() for parameter in net.parameters())


def test_cifar_network_has_the_papers_shapes_and_about_125k_parameters():
    net = build_from_notation(CIFAR_48)
    shapes = {name: tuple(out.shape[1:]) for name, out in net.forward_layers(torch.zeros(2, 3, 32, 32)).items()}
    # cuda-convnet pooling rounds up: 32 -> 16 -> 8 -> 4
    assert shapes["pool1"] == (32, 16, 16) and shapes["pool2"] == (32, 8, 8) and shapes["pool3"] == (64, 4, 4)
    assert shapes["fc1"] == (48,) and shapes["fc2"] == (10,)
    # convolutions 75,872 + knob 1024*48+48 + classifier 48*10+10
    assert _parameters(net) == 75_872 + 49_200 + 490 == 125_562


def test_mnist_network_shapes_and_parameters():
    net = build_from_notation(MNIST_48)
    shapes = {name: tuple(out.shape[1:]) for name, out in net.forward_layers(torch.zeros(2, 1, 28, 28)).items()}
    assert shapes["pool1"] == (32, 12, 12) and shapes["pool2"] == (32, 4, 4) and shapes["fc1"] == (48,)
    assert _parameters(net) == (25 * 32 + 32) + (25 * 32 * 32 + 32) + (512 * 48 + 48) + (48 * 10 + 10)


def test_knob_layer_is_linear_and_convolutions_are_rectified():
    net = build_from_notation(MNIST_48)
    outputs = net.forward_layers(torch.rand(8, 1, 28, 28))
    assert (outputs["pool1"] >= 0).all() and (outputs["pool2"] >= 0).all()  # rectified (after the pooling)
    assert (outputs["fc1"] < 0).any()  # no ReLU on the knob: its signs are the hash code


def test_parser_reads_every_token_kind():
    shape, layers = parse_notation("1x28x28-32C5P2-MP3S2-D0.25-H32-H10")
    assert shape == (1, 28, 28)
    assert [(layer.kind, layer.values) for layer in layers] == [
        ("conv", (32.0, 5.0, 2.0)), ("pool", (3.0, 2.0)), ("dropout", (0.25,)), ("fc", (32.0,)), ("fc", (10.0,))]


@pytest.mark.parametrize("spec, message", [
    ("32C3P1-H10", "input shape"),
    ("3x32x32-32C3-H10", "cannot read token '32C3'"),
    ("3x32x32-32C3P1", "last layer must be"),
    ("3x32x32-D1.5-H10", "cannot read token 'D1.5'"),
    ("1x4x4-8C5P0-H10", "shrink to nothing"),
    ("1x8x8-H10-8C3P1-H10", "after a fully connected"),
])
def test_bad_notation_gets_a_clear_error(spec, message):
    with pytest.raises(ValueError, match=message):
        build_from_notation(spec)


def test_cnnbh_builders_follow_table_2_and_expose_the_knob():
    from hashlib_core.nets.cnnbh import cifar_notation, cnnbh_cifar, cnnbh_mnist, knob_outputs, pool3_outputs

    assert cifar_notation(12).endswith("H12-D0.2-H10") and cifar_notation(48).endswith("H48-D0.5-H10")
    assert cifar_notation(8).endswith("H8-D0-H10")
    with pytest.raises(ValueError, match="pass dropout"):
        cifar_notation(20)
    assert knob_outputs(cnnbh_mnist(24), torch.zeros(3, 1, 28, 28)).shape == (3, 24)
    assert pool3_outputs(cnnbh_cifar(32), torch.zeros(2, 3, 32, 32)).shape == (2, 1024)


def test_relu_after_pooling_computes_what_relu_before_pooling_does():
    """A conv's ReLU moved behind the max pooling that follows it: same outputs and same gradients."""
    from torch import nn

    torch.manual_seed(0)
    model = build_from_notation("3x12x12-8C3P1-MP3S2-8C3P1-8C1P0-MP2S2-H6-H3")
    assert len(model.layers["conv1"]) == 1 and isinstance(model.layers["pool1"][1], nn.ReLU)
    assert len(model.layers["conv2"]) == 2  # not followed by pooling: keeps its ReLU

    def reference(inputs):
        hidden = model.standardize(inputs)
        for name, layer in model.layers.items():
            if name.startswith("pool") and isinstance(layer, nn.Sequential):
                hidden = layer[0](torch.relu(hidden))
            else:
                hidden = layer(hidden)
        return hidden

    inputs = torch.rand(5, 3, 12, 12)
    ours = model(inputs)
    ours.sum().backward()
    ours_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    theirs = reference(inputs)
    theirs.sum().backward()
    torch.testing.assert_close(ours, theirs)
    for mine, other in zip(ours_grads, (p.grad for p in model.parameters())):
        torch.testing.assert_close(mine, other)
