"""Training speed of Li & Li's CIFAR-10 pre-training network per width and precision (fp32, bf16 autocast).

Usage: ``python benchmarks/lili_precision_speed.py DATA_ROOT`` on an idle machine. Each candidate trains 20 batches
of 128 after 3 warm-up batches, exactly as the chapter's pre-training stage builds and prepares it, and prints
images/s. Measured twice on 2 idle AMD EPYC Zen 5 cores (AVX-512 BF16), fp32 / bf16 img/s: width 24
1,055-1,145 / 1,115-1,169, width 48 610-645 / 879-888, width 64 341-346 / 496-571; the chapter's paper profile
pre-trains width 48 under bf16 (about 1.4x faster there; width 24 gains almost nothing).
"""

import sys
from dataclasses import replace

import torch

from hashlib_core.data import load_dataset
from hashlib_core.methods import LiLi
from hashlib_core.methods.dlbhc import Backbone
from hashlib_core.protocols import protocol_for
from hashlib_core.train import fit_speed

WIDTHS = (24, 48, 64)
BATCH = 128


def main(data_root: str) -> None:
    method = LiLi()
    paper = method.plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    protocol = protocol_for(dataset, "dlbhc", seed=0)
    images, labels = dataset.images[protocol.train][:23 * BATCH], dataset.labels[protocol.train][:23 * BATCH]
    print(f"{'width':>5} {'precision':>9} {'parameters':>10} {'images/s':>9}")
    for width in WIDTHS:
        for precision in ("fp32", "bf16"):
            settings = replace(paper, backbone=Backbone("inception-small", width=width, f7_dim=paper.backbone.f7_dim))
            network = method.pretraining_network(dataset, settings)
            method.prepare(network, dataset, protocol)
            speed = fit_speed(network, images, labels, torch.nn.functional.cross_entropy, batch_size=BATCH,
                              precision=precision)
            parameters = sum(p.numel() for p in network.parameters())
            print(f"{width:>5} {precision:>9} {parameters:>10,} {speed:>9.0f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
