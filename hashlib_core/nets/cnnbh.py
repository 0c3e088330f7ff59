"""CNN Based Hashing (Guo & Li 2015): the MNIST and CIFAR-10 networks of Sec. 4 and their knob layer.

Introduced in the CNN Based Hashing chapter. The networks are written in the
paper's notation (:mod:`hashlib_core.nets.notation`); the first fully
connected layer ``H<bits>``, the "knob", is linear, and its signs are the hash
code (threshold 0). CIFAR-10's final dropout depends on the code length
(Table 2, which stops at 48 bits: longer codes keep its 0.5 of 24-48 bits, our extrapolation); MNIST uses
0.5 throughout ("the drop probability ... was not a
sensitive factor").
"""

from __future__ import annotations

import torch

from .notation import NotationNet, build_from_notation

__all__ = ["CIFAR_DROPOUT_BY_BITS", "cifar_notation", "mnist_notation", "cnnbh_cifar", "cnnbh_mnist",
           "knob_outputs", "knob_inputs", "pool3_outputs", "KNOB_LAYER"]

# Table 2: code length -> drop probability of the final dropout layer (CIFAR-10 model)
CIFAR_DROPOUT_BY_BITS = {8: 0.0, 12: 0.2, 16: 0.3, 24: 0.5, 32: 0.5, 40: 0.5, 48: 0.5}
KNOB_LAYER = "fc1"


def cifar_notation(bits: int, dropout: float | None = None) -> str:
    """The CIFAR-10 network of Sec. 4.2 with an ``H<bits>`` knob; dropout from Table 2 unless given (codes longer
    than Table 2's 48 bits keep its 48-bit value, 0.5, which it holds from 24 bits on)."""
    if dropout is None:
        longest = max(CIFAR_DROPOUT_BY_BITS)
        if bits > longest:
            dropout = CIFAR_DROPOUT_BY_BITS[longest]
        elif bits not in CIFAR_DROPOUT_BY_BITS:
            raise ValueError(f"Table 2 gives the final dropout for {sorted(CIFAR_DROPOUT_BY_BITS)} bits only; "
                             f"pass dropout=... for {bits} bits")
        else:
            dropout = CIFAR_DROPOUT_BY_BITS[bits]
    return (f"3x32x32-32C3P1-32C1P0-MP3S2-D0.5-32C3P1-32C3P1-MP3S2-D0.5-64C3P1-64C3P1-MP3S2-D0.5-"
            f"H{bits}-D{dropout:g}-H10")


def mnist_notation(bits: int) -> str:
    """The MNIST network of Sec. 4.1 with an ``H<bits>`` knob."""
    return f"1x28x28-32C5P0-MP2S2-32C5P0-MP2S2-H{bits}-D0.5-H10"


def cnnbh_cifar(bits: int = 48, dropout: float | None = None) -> NotationNet:
    """Build the CIFAR-10 CNNBH network (about 125K parameters at 48 bits)."""
    return build_from_notation(cifar_notation(bits, dropout))


def cnnbh_mnist(bits: int = 48) -> NotationNet:
    """Build the MNIST CNNBH network."""
    return build_from_notation(mnist_notation(bits))


def knob_outputs(model: NotationNet, inputs: torch.Tensor) -> torch.Tensor:
    """The knob layer's real-valued outputs (their signs are the code); a ``layer`` for ``train.encode``."""
    return model.forward_layers(inputs)[KNOB_LAYER]


def knob_inputs(model: NotationNet, inputs: torch.Tensor) -> torch.Tensor:
    """The flattened input of the knob (the last pooling layer; dropout is off in eval mode).

    For CIFAR-10 this is "Pool3" (64 x 4 x 4 = 1,024 values), for MNIST
    "Pool2" (32 x 4 x 4 = 512). Table 3 feeds it to KSH and LSH.
    """
    outputs = model.forward_layers(inputs)
    names = list(outputs)
    return outputs[names[names.index(KNOB_LAYER) - 1]].flatten(1)


def pool3_outputs(model: NotationNet, inputs: torch.Tensor) -> torch.Tensor:
    """"Pool3" (CIFAR-10) features, flattened: the input of the knob, used by Table 3's Pool3 + KSH/LSH."""
    return model.forward_layers(inputs)["pool3"].flatten(1)
