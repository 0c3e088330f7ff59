"""Networks, one module per paper family; the architecture notation parser lives in ``notation``."""

from .cnnbh import cnnbh_cifar, cnnbh_mnist
from .notation import NotationNet, Standardize, build_from_notation, parse_notation

__all__ = ["NotationNet", "Standardize", "build_from_notation", "parse_notation", "cnnbh_cifar", "cnnbh_mnist"]
