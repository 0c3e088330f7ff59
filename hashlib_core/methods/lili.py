"""Li & Li, prompt image search: DLBHC's latent layer on a GoogLeNet, with a Hamming-then-cosine two-step search.

Introduced in the Li & Li chapter. What is new relative to DLBHC
(:mod:`hashlib_core.methods.dlbhc`, whose training this reuses unchanged):

1. the backbone: a GoogLeNet pre-trained on ImageNet with H (``bits`` sigmoid
   units, code = H above 0.5, Eq. 1) between its fully connected layer F4 and
   the output layer F5; on 2 CPU cores the small Inception network of Zhang et
   al. 2017 from scratch (:mod:`hashlib_core.nets.inception`), pre-trained on the
   target training images as DLBHC's CPU backbone is;
2. the two-step search: a candidate pool from the Hamming ranking, re-ranked by
   *cosine* similarity of F4 (DLBHC: Euclidean distance of F7), with the pool
   size swept because the paper does not give it;
3. the CPU-time claims of Figs. 6, 10 and 14 (two-step against linear search).

Profiles: ``smoke`` (embedded MNIST), ``paper`` (MNIST and CIFAR-10 with the
small Inception network; CIFAR-10 width 48 with bf16 autocast: width 24 gives the most
accuracy per CPU minute over six minutes, ``benchmarks/lili_backbone_choice.py``, but
underfits at the chapter's length), ``lite0`` (CIFAR-10 at the paper's
h = 48 with the ImageNet EfficientNet-Lite0, the one ImageNet-trained network
that installs offline, as the stand-in for the ImageNet GoogLeNet; run beside
``paper``), ``googlenet`` (the paper's ImageNet GoogLeNet, for readers with
internet and a GPU).
"""

from __future__ import annotations

from dataclasses import replace

from ..settings import BaselineRun, Recipe
from .dlbhc import DLBHC, Backbone, DlbhcSettings
from .dlbhc import PROFILES as DLBHC_PROFILES

__all__ = ["LiLi", "PROFILES", "REPORT_KS", "TWO_STEP"]

TWO_STEP = "Li & Li (two-step)"  # the two-step search's rows in the results file (pool size beside each)

REPORT_KS = (1, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)  # Figs. 3 and 7: up to 1,000 returned
_LENGTHS = (12, 24, 32, 48)
_BASELINES = tuple(BaselineRun(name) for name in ("lsh", "itq", "ksh"))
PROFILES: dict[str, dict[str, DlbhcSettings]] = {
    # DLBHC's smoke run with the Inception backbone, shorter training and Li & Li's precision depths
    "smoke": {"mnist5k": replace(
        DLBHC_PROFILES["smoke"]["mnist5k"], code_lengths=(16, 48), backbone=Backbone("inception-small", width=16,
                                                                                    f7_dim=64),
        pretrain=replace(DLBHC_PROFILES["smoke"]["mnist5k"].pretrain, epochs=2),
        recipe=replace(DLBHC_PROFILES["smoke"]["mnist5k"].recipe, epochs=2), report_ks=REPORT_KS, map_depth=None,
        extra_query_sets={})},
    # CIFAR-10: width 24 won at equal CPU time over 6 minutes (results/lili/backbone_choice_cifar10.json: 0.717 vs
    # 0.702 at width 48 and 0.630 at 96) but underfits at the chapter's length (20 epochs: train 0.864, test 0.834);
    # width 48 pre-trained with bf16 autocast (888 img/s against 645 in fp32 on a Zen 5 core pair:
    # benchmarks/lili_precision_speed.py) for 40 epochs, about 40 minutes (30 epochs, commit aa5445a: test accuracy
    # 0.873 with the latent layer, just under the paper's 0.875); fine-tuned in fp32.
    # MNIST: 17,435 local digits, so width 48 costs minutes.
    "paper": {
        "mnist": DlbhcSettings(
            code_lengths=_LENGTHS, backbone=Backbone("inception-small", width=48, f7_dim=512),
            pretrain=Recipe(epochs=6, batch_size=128, weight_decay=0.05, padding=2, flip=False),
            recipe=Recipe(epochs=2, lr=2e-3, batch_size=128, weight_decay=0.05, padding=2, flip=False),
            protocol="dlbhc", feature="pixels", baselines=_BASELINES, report_ks=REPORT_KS),
        "cifar10": DlbhcSettings(
            code_lengths=_LENGTHS, backbone=Backbone("inception-small", width=48, f7_dim=512),
            pretrain=Recipe(epochs=40, batch_size=128, weight_decay=0.05, precision="bf16"),
            recipe=Recipe(epochs=3, lr=2e-3, batch_size=128, weight_decay=0.05, lr_scales=(("stem", 0.1),)),
            protocol="dlbhc", feature="gist512", baselines=_BASELINES, report_ks=REPORT_KS)},
    # DLBHC's ImageNet stand-in run (its last 5 blocks trained on cached activations of the frozen rest at 128 px:
    # 0.90 test accuracy in the DLBHC chapter), at Li & Li's h = 48 and precision depths
    "lite0": {"cifar10": replace(
        DLBHC_PROFILES["lite0"]["cifar10"], code_lengths=(48,), report_ks=REPORT_KS, map_depth=None,
        extra_query_sets={}, baselines=())},
    "googlenet": {name: DlbhcSettings(
        code_lengths=_LENGTHS, backbone=Backbone("googlenet", pretrained=True), pretrain=None,
        recipe=Recipe(epochs=10, lr=1e-3, weight_decay=5e-4, optimizer="sgd", batch_size=128, padding=2,
                      flip=name == "cifar10"),
        protocol="dlbhc", feature=feature, baselines=_BASELINES, report_ks=REPORT_KS)
        for name, feature in (("mnist", "pixels"), ("cifar10", "gist512"))},
}


class LiLi(DLBHC, name="Li & Li (one-step)", chapter="lili", profiles=PROFILES):
    """Li & Li's method: DLBHC's latent-layer training on an Inception backbone; the one-step search is the
    Hamming ranking of its codes, the two-step search the chapter's study on top of it."""

    def imagenet_companion(self, profile: str) -> str:
        """The ImageNet-backbone profile the chapter runs beside ``profile`` ("" when there is none)."""
        return {"paper": "lite0"}.get(profile, "")
