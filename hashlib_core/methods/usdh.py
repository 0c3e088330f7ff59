"""Unsupervised Semantic Deep Hashing (Jin): codes that keep a frozen teacher's similarities, balanced, rotation-invariant.

Introduced in the USDH chapter. The method, as a
:class:`~hashlib_core.experiment.DeepHashingMethod` that never sees a label:

1. a teacher network trained on ImageNet (the paper: VGG-19's second FC layer, profile ``vgg19``;
   offline: EfficientNet-Lite0's pooled features, :mod:`hashlib_core.teachers`)
   gives the similarities ``S_ij = exp(-||x_i - x_j|| / (rho d))`` (Eq. 2). On this teacher's features, as
   they are or standardised, every S lies close to 1 (distances are small against ``d``), so the codes are
   asked to be all alike; with ``calibrate`` the standardised features are scaled so that the median
   training pair has S = 0.5 at rho = 1 (:func:`calibrated_teacher`), and rho keeps its role (Table 4);
2. the hash network (:mod:`hashlib_core.nets.usdh`, on the frozen teacher's
   features as in DeepBit's release) outputs sigmoids b in (0, 1); a bit is 1
   above 0.5;
3. stage 1 minimises J1 (semantic, Eq. 4) + alpha J2 (quantisation, Eq. 6) +
   J3 (bit balance in DeepBit's form; the paper defines only the batch mean);
   stage 2 adds J4 (rotation, Eq. 8) over DeepBit's angles and weights, on the
   teacher features of rotated copies of a seeded subset of the training images.

``USDH(losses=...)`` also gives DeepBit with the same teacher (its
quantisation, balance and rotation terms, no J1) and DeepBit + the semantic
loss (Table 3). Each term is a mean over its pairs, images or bits, so the
weights do not depend on the batch size or the code length (the paper writes
sums and gives no weights).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..codes import SIGMOID_THRESHOLD
from ..data import ImageDataset
from ..experiment import DeepHashingMethod, TrainingStage
from ..losses import (DEEPBIT_ROTATION_ANGLES, bit_balance_loss, deepbit_angle_weights, quantization_loss,
                      rotation_loss, semantic_loss, teacher_similarity)
from ..nets.usdh import sigmoid_hash_head
from ..objectives import Batch, Objective
from ..protocols import Protocol
from ..settings import BaselineRun, Recipe, RunSettings, _check_int, _check_number, _fail
from ..teachers import TEACHERS, rotated_teacher_features, teacher_features, teacher_prefix

__all__ = ["LOSSES", "UsdhSettings", "USDH", "UsdhObjective", "calibrated_teacher", "PROFILES"]

# losses choice -> (name in tables, J1 on?, quantisation term: "usdh" (Eq. 6) or "deepbit" (||b - code||^2))
LOSSES: dict[str, tuple[str, bool, str]] = {
    "usdh": ("USDH", True, "usdh"),
    "deepbit": ("DeepBit (same teacher)", False, "deepbit"),
    "deepbit+semantic": ("DeepBit + semantic loss", True, "deepbit"),
}
MAP_DEPTH = 1000  # Table 1: mAP at the top 1,000


@dataclass(frozen=True)
class UsdhSettings(RunSettings):
    """USDH's run: the teacher (:data:`hashlib_core.teachers.TEACHERS`) and its input size in pixels, the hidden width of the hash network,
    ``rho`` of Eq. 2 and whether the teacher's scale is calibrated (``calibrate``), the weights of J2 (``alpha``), J3 (``balance``) and J4 (``rotation``), DeepBit's rotation
    ``angles``, how many training images get rotated copies (``rotated_images``, a seeded subset), and stage 2's
    recipe (``rotation_recipe``; None: stage 1 only)."""

    teacher: str = "lite0"
    teacher_size: int = 128
    hidden: int = 1024
    rho: float = 1.0
    calibrate: bool = True
    alpha: float = 0.1
    balance: float = 1.0
    rotation: float = 1.0
    angles: tuple[float, ...] = DEEPBIT_ROTATION_ANGLES
    rotated_images: int = 10_000
    rotation_recipe: Recipe | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        if self.teacher not in TEACHERS:
            _fail(owner, "teacher", f"one of {', '.join(map(repr, TEACHERS))}", self.teacher)
        _check_int(owner, "teacher_size", self.teacher_size, 32)
        _check_int(owner, "hidden", self.hidden, 1)
        _check_int(owner, "rotated_images", self.rotated_images, 1)
        _check_number(owner, "rho", self.rho, positive=True)
        if not isinstance(self.calibrate, bool):
            _fail(owner, "calibrate", "True or False", self.calibrate)
        for name in ("alpha", "balance", "rotation"):
            _check_number(owner, name, getattr(self, name), positive=False)
        angles = tuple(float(angle) for angle in self.angles)
        if not angles or 0.0 not in angles:
            _fail(owner, "angles", "rotation angles in degrees including 0 (the unrotated image)", self.angles)
        object.__setattr__(self, "angles", angles)
        if self.rotation_recipe is not None and not isinstance(self.rotation_recipe, Recipe):
            _fail(owner, "rotation_recipe", "a Recipe or None", self.rotation_recipe)

    @property
    def teacher_feature(self) -> str:
        """The teacher's feature kind (:func:`hashlib_core.features.dataset_features`), e.g. ``lite0-128px``."""
        return f"{self.teacher}-{self.teacher_size}px"


@dataclass(frozen=True)
class UsdhObjective(Objective):
    """The label-free loss of one stage: ``J1 + alpha J2 + balance J3 (+ rotation J4)``; batch targets are
    ``(B, 1 + angles, d)``: the teacher features, then the hash network's inputs for each rotated copy (NaN for
    images without rotated copies). Picklable for side-by-side workers."""

    rho: float
    alpha: float
    balance: float
    rotation: float
    semantic: bool
    quantization: str
    angles: tuple[float, ...] = ()

    uses_labels = False
    uses_targets = True

    def __call__(self, model: nn.Module, inputs: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, None]:
        outputs = model(inputs).float()
        targets = batch.targets
        loss = self.balance * bit_balance_loss(outputs)
        if self.semantic:
            loss = loss + semantic_loss(outputs, teacher_similarity(targets[:, 0], self.rho))
        if self.quantization == "usdh":
            loss = loss + self.alpha * quantization_loss(outputs)
        else:  # DeepBit: the squared distance to the code the outputs round to
            loss = loss + self.alpha * (outputs - (outputs > SIGMOID_THRESHOLD).float()).pow(2).mean()
        if self.angles and self.rotation:
            rotated = targets[:, 1:]
            has_copies = torch.isfinite(rotated[:, 0, 0])
            if has_copies.any():
                chosen = rotated[has_copies]
                flat = chosen.reshape(-1, chosen.shape[2], *inputs.shape[2:]).to(inputs.dtype)
                rotated_outputs = model(flat).float().reshape(chosen.shape[0], chosen.shape[1], -1)
                loss = loss + self.rotation * rotation_loss(rotated_outputs, outputs[has_copies],
                                                            deepbit_angle_weights(len(self.angles)))
        return loss, None


def calibrated_teacher(features: torch.Tensor, *, pairs: int = 10_000, seed: int = 0) -> torch.Tensor:
    """``features`` ``(n, d)`` scaled so that the median distance of ``pairs`` random pairs (seeded) is ``d ln 2``:
    Eq. 2 then gives the median pair S = 0.5 at rho = 1, and rho < 1 sharpens S, rho > 1 flattens it."""
    generator = torch.Generator().manual_seed(seed)
    first, second = (torch.randint(len(features), (pairs,), generator=generator) for _ in range(2))
    distinct = first != second
    median = (features[first[distinct]].float() - features[second[distinct]].float()).norm(dim=1).median()
    return features * (features.shape[1] * math.log(2) / median.clamp_min(1e-12))


PROFILES: dict[str, dict[str, UsdhSettings]] = {
    "smoke": {"mnist5k": UsdhSettings(
        code_lengths=(16, 64), recipe=Recipe(epochs=3, lr=1e-3, optimizer="adam", weight_decay=0.0, padding=0,
                                             flip=False),
        rotation_recipe=Recipe(epochs=1, lr=5e-4, optimizer="adam", weight_decay=0.0, padding=0, flip=False),
        protocol="deepbit", feature="pixels", teacher_size=32, hidden=256, rotated_images=500,
        baselines=(BaselineRun("lsh"), BaselineRun("itq"), BaselineRun("itq", feature="lite0-32px")),
        map_depth=MAP_DEPTH)},
    # benchmarks/usdh_settings.py on the lite0-128px teacher (32 bits, stage 1 only, mAP@1000): 5 epochs 0.478,
    # 15 epochs 0.472; alpha 0.01 / 0.1 / 0.3: 0.448 / 0.478 / 0.500; rho 0.25 / 1 / 2 (calibrated): 0.294 / 0.478 / 0.427
    "paper": {"cifar10": UsdhSettings(
        code_lengths=(16, 32, 64), recipe=Recipe(epochs=5, lr=1e-3, optimizer="adam", weight_decay=0.0, padding=0,
                                                 flip=False),
        rotation_recipe=Recipe(epochs=2, lr=5e-4, optimizer="adam", weight_decay=0.0, padding=0, flip=False),
        protocol="deepbit", feature="gist512", teacher_size=128, alpha=0.3,
        baselines=(*(BaselineRun(name) for name in ("lsh", "pcah", "sh", "sphh", "itq")),
                   *(BaselineRun(name, feature="lite0-128px") for name in ("lsh", "pcah", "sh", "itq"))),
        map_depth=MAP_DEPTH)},
    # the paper's teacher (ImageNet VGG-19, fc7 at 224 px), for readers with internet and a GPU
    "vgg19": {"cifar10": UsdhSettings(
        code_lengths=(16, 32, 64), recipe=Recipe(epochs=5, lr=1e-3, optimizer="adam", weight_decay=0.0, padding=0,
                                                 flip=False),
        rotation_recipe=Recipe(epochs=2, lr=5e-4, optimizer="adam", weight_decay=0.0, padding=0, flip=False),
        protocol="deepbit", feature="gist512", teacher="vgg19", teacher_size=224, rotated_images=50_000, alpha=0.3,
        baselines=(*(BaselineRun(name) for name in ("lsh", "pcah", "sh", "sphh", "itq")),
                   *(BaselineRun(name, feature="vgg19-224px") for name in ("lsh", "pcah", "sh", "itq"))),
        map_depth=MAP_DEPTH)},
}


class USDH(DeepHashingMethod, name="USDH", chapter="usdh", profiles=PROFILES, hash_layer="hash",
           threshold=SIGMOID_THRESHOLD):
    """Jin's method with ``losses`` (a key of :data:`LOSSES`): USDH, DeepBit or DeepBit + the semantic loss."""

    def __init__(self, losses: str = "usdh") -> None:
        if losses not in LOSSES:
            raise ValueError(f"losses must be one of {', '.join(map(repr, LOSSES))}, got {losses!r}")
        self.losses = losses
        self.name, self.semantic, self.quantization = LOSSES[losses]

    def network_inputs(self, dataset: ImageDataset, settings: UsdhSettings, *, device: str | torch.device = "auto",
                       progress: bool = True) -> ImageDataset:
        """The frozen teacher's pooled features of every image (computed once, cached)."""
        return teacher_features(dataset, teacher_prefix(settings.teacher, settings.teacher_size), device=device,
                                progress=progress)

    def build_network(self, dataset: ImageDataset, bits: int, settings: UsdhSettings) -> nn.Module:
        """The hash network on the teacher's features (``dataset`` is what :meth:`network_inputs` returned)."""
        return sigmoid_hash_head(int(np.prod(dataset.images.shape[1:])), bits, settings.hidden)

    def training_targets(self, dataset: ImageDataset, protocol: Protocol, settings: UsdhSettings,
                         device: str | torch.device) -> torch.Tensor:
        """Per training image ``(1 + angles, d)``: the teacher's features standardised per dimension over the
        training images and, with ``calibrate``, scaled by :func:`calibrated_teacher` (what S is computed on), then the hash network's inputs for its rotated copies (the
        unrotated one is the image's own; NaN rows for images outside the seeded ``rotated_images`` subset)."""
        teacher = teacher_prefix(settings.teacher, settings.teacher_size)
        features = teacher_features(dataset, teacher, device=device).images
        train = np.asarray(protocol.train)
        own = features[torch.from_numpy(train)].reshape(len(train), -1).float()
        targets = torch.full((len(train), 1 + len(settings.angles), own.shape[1]), float("nan"), dtype=torch.float16)
        standardised = (own - own.mean(dim=0)) / own.std(dim=0).clamp_min(1e-6)
        targets[:, 0] = calibrated_teacher(standardised, seed=protocol.seed) if settings.calibrate else standardised
        if settings.rotation_recipe is None:
            return targets[:, :1].contiguous()
        chosen = np.sort(np.random.default_rng(protocol.seed).choice(len(train), min(settings.rotated_images,
                                                                                   len(train)), replace=False))
        turned = [angle for angle in settings.angles if angle != 0]
        rotated = rotated_teacher_features(dataset, teacher, train[chosen], tuple(turned), device=device)
        rows = torch.from_numpy(chosen)
        for column, angle in enumerate(settings.angles, start=1):
            targets[rows, column] = (own[rows] if angle == 0 else rotated[:, turned.index(angle)]).half()
        return targets

    def training_stages(self, settings: UsdhSettings, bits: int) -> list[TrainingStage]:
        """Stage 1: J1 + J2 + J3 (DeepBit: no J1); stage 2 (with ``rotation_recipe``): the same plus J4."""
        terms = {"rho": settings.rho, "alpha": settings.alpha, "balance": settings.balance,
                 "rotation": settings.rotation, "semantic": self.semantic, "quantization": self.quantization}
        stages = [TrainingStage("semantic" if self.semantic else "balance", settings.recipe, UsdhObjective(**terms))]
        if settings.rotation_recipe is not None:
            stages.append(TrainingStage("rotation", settings.rotation_recipe,
                                        UsdhObjective(**terms, angles=settings.angles)))
        return stages

    def layers(self, model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The sigmoid outputs b (``hash``; above 0.5 is a 1) and the hidden layer (``features``)."""
        return model.forward_layers(inputs)
