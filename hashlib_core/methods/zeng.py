"""Zeng et al. 2019, Deep hash for latent image retrieval: a multi-pooling network trained with the DSH loss.

Introduced in the Zeng chapter. The method, as a
:class:`~hashlib_core.experiment.DeepHashingMethod`:

1. the network (Sec. 3.1, :mod:`hashlib_core.nets.zeng`): three blocks in which
   every stream splits into an average-pooling and a max-pooling stream (8
   streams), fused by convolution; ``Zeng(network=...)`` picks it or one of the
   ablations of Secs. 4.4-4.5, or the DSH network (:mod:`hashlib_core.nets.dsh`);
2. the DSH contrastive loss over the pairs of each mini-batch (Sec. 3.2, Eqs.
   1-2, :func:`hashlib_core.losses.dsh_pairwise_loss`), margin ``m = 2 bits``,
   ``alpha = 0.01``; codes are the signs of the outputs b;
3. training (Sec. 4.2): Adam, learning rate 1e-4 halved every 20,000
   iterations, batches of 100; random crops, flips, brightness and contrast;
4. the combined similarity with a perceptual hash (Sec. 3.3, Eqs. 3-4):
   :mod:`hashlib_core.studies.zeng_similarity`.

Profiles: ``smoke`` (the embedded MNIST subset), ``paper`` (CIFAR-10 and
MNIST on 2 CPU cores, fewer epochs than the paper's 50: stated in the
chapter), ``long`` (the paper's 50 epochs, for a GPU).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..codes import SIGN_THRESHOLD
from ..data import ImageDataset
from ..experiment import DeepHashingMethod, TrainingStage
from ..losses import dsh_pairwise_loss
from ..nets.dsh import dsh_net
from ..nets.zeng import multipool_net
from ..objectives import PairwiseLoss
from ..settings import BaselineRun, Recipe, RunSettings

__all__ = ["NETWORKS", "ZengSettings", "Zeng", "halving_recipe", "PROFILES", "ITERATIONS_PER_HALVING", "PAPER_EPOCHS",
           "PAPER_LR", "PAPER_BATCH"]

# network choice -> (name in tables, branches of nets.zeng; None: the DSH network)
NETWORKS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "bilinear": ("Zeng (bilinear max+avg)", ("avg", "max")),
    "max-only": ("max pooling twice (8 streams)", ("max", "max")),
    "avg-only": ("average pooling twice (8 streams)", ("avg", "avg")),
    "traditional_net-A": ("traditional_net-A (average, 1 stream)", ("avg",)),
    "traditional_net-B": ("traditional_net-B (max, 1 stream)", ("max",)),
    "dsh": ("DSH network", None),
}
ITERATIONS_PER_HALVING = 20_000  # Sec. 4.2, CIFAR-10 and MNIST
PAPER_EPOCHS = 50  # Sec. 4.2
PAPER_LR = 1e-4  # Sec. 4.2, Adam's initial learning rate
PAPER_BATCH = 100  # Sec. 4.2


def halving_recipe(epochs: int, **options) -> Recipe:
    """Sec. 4.2's recipe for ``epochs``: Adam, lr 1e-4 halved every 20,000 iterations of 100 images, random
    crops, flips, brightness and contrast (``options`` override any field)."""
    settings = {"epochs": epochs, "lr": PAPER_LR, "optimizer": "adam", "weight_decay": 0.0, "batch_size": PAPER_BATCH,
                "schedule": "step", "step_iterations": ITERATIONS_PER_HALVING, "gamma": 0.5,
                "padding": 2, "flip": True, "brightness": 0.2, "contrast": 0.2, **options}
    return Recipe(**settings)


@dataclass(frozen=True)
class ZengSettings(RunSettings):
    """Zeng's run: stream ``widths`` of the three blocks, the fusion and FC widths (Table 1: 512 and 1,000), the
    regulariser weight ``alpha`` (the margin is always twice the code length)."""

    widths: tuple[int, int, int] = (32, 32, 32)
    fusion_width: int = 512
    fc_width: int = 1000
    alpha: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        widths = tuple(self.widths)
        if len(widths) != 3 or any(isinstance(value, bool) or not isinstance(value, int) or value < 1
                                   for value in (*widths, self.fusion_width, self.fc_width)):
            raise ValueError(f"ZengSettings.widths must be three positive integers and fusion_width, fc_width "
                             f"positive integers, got {self.widths}, {self.fusion_width}, {self.fc_width}")
        if not self.alpha >= 0:
            raise ValueError(f"ZengSettings.alpha must be a number >= 0, got {self.alpha!r}")
        object.__setattr__(self, "widths", widths)


_BASELINES = tuple(BaselineRun(name) for name in ("lsh", "itq", "sh", "ksh"))
_LENGTHS = (12, 24, 32, 48)
_MNIST_RECIPE = {"padding": 2, "flip": False}  # digits are not mirrored
PROFILES: dict[str, dict[str, ZengSettings]] = {
    "smoke": {"mnist5k": ZengSettings(
        code_lengths=(12, 48), recipe=halving_recipe(3, lr=1e-3, **_MNIST_RECIPE), protocol="zeng",
        protocol_options={"n_queries": 200}, feature="pixels", baselines=(BaselineRun("lsh"), BaselineRun("itq")),
        widths=(8, 8, 8), fusion_width=64, fc_width=128)},
    # widths by measured training speed (2 threads, batch 100, fp32, channels_last): (16, 16, 16) / 256 / 512
    # 806 img/s, (32, 32, 32) / 256 / 1,000 319 (433 in bf16), Table 1's reading (32, 32, 32) / 512 / 1,000 247
    # (267 in bf16); 4 CIFAR-10 epochs keep the chapter (26 CIFAR-10 networks) inside its budget
    "paper": {
        "cifar10": ZengSettings(code_lengths=_LENGTHS, recipe=halving_recipe(4, lr=1e-3), protocol="zeng",
                                feature="gist512", baselines=_BASELINES, widths=(16, 16, 16), fusion_width=256,
                                fc_width=512),
        "mnist": ZengSettings(code_lengths=_LENGTHS, recipe=halving_recipe(8, lr=1e-3, **_MNIST_RECIPE),
                              protocol="zeng", feature="pixels", baselines=_BASELINES, widths=(16, 16, 16),
                              fusion_width=256, fc_width=512)},
    "long": {
        "cifar10": ZengSettings(code_lengths=_LENGTHS, recipe=halving_recipe(PAPER_EPOCHS), protocol="zeng",
                                feature="gist512", baselines=_BASELINES),
        "mnist": ZengSettings(code_lengths=_LENGTHS, recipe=halving_recipe(PAPER_EPOCHS, **_MNIST_RECIPE),
                              protocol="zeng", feature="pixels", baselines=_BASELINES)},
}


class Zeng(DeepHashingMethod, name=NETWORKS["bilinear"][0], chapter="zeng", profiles=PROFILES, hash_layer="hash",
           threshold=SIGN_THRESHOLD):
    """Zeng et al.'s method with ``network`` (a key of :data:`NETWORKS`): DSH loss, codes = signs of b."""

    def __init__(self, network: str = "bilinear") -> None:
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {', '.join(map(repr, NETWORKS))}, got {network!r}")
        self.network = network
        self.name, self.branches = NETWORKS[network]

    def build_network(self, dataset: ImageDataset, bits: int, settings: ZengSettings) -> nn.Module:
        """The chosen network for the dataset's image shape with ``bits`` outputs."""
        channels, height, _ = dataset.images.shape[1:]
        if self.branches is None:
            return dsh_net(bits, channels, height)
        return multipool_net(bits, channels, branches=self.branches, widths=settings.widths,
                             fusion_width=settings.fusion_width, fc_width=settings.fc_width)

    def training_stages(self, settings: ZengSettings, bits: int) -> list[TrainingStage]:
        """One stage: the DSH loss (Eq. 2) over the mini-batch's pairs on the outputs b."""
        loss = DshLoss(settings.alpha)
        return [TrainingStage("dsh", settings.recipe, PairwiseLoss(loss, hash_outputs))]

    def layers(self, model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The real outputs b (``hash``; their signs are the code) and the last features before them."""
        return model.forward_layers(inputs)


def hash_outputs(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The network's real outputs b: what the DSH loss sees."""
    return model(inputs)


@dataclass(frozen=True)
class DshLoss:
    """Eq. 2 with margin ``2 bits`` and regulariser weight ``alpha`` (picklable for side-by-side workers)."""

    alpha: float

    def __call__(self, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return dsh_pairwise_loss(outputs, labels, alpha=self.alpha)
