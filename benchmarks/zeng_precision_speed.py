"""Training speed of Zeng et al.'s network per width and precision (fp32, bf16 autocast), with the DSH pair loss.

Usage: ``python benchmarks/zeng_precision_speed.py DATA_ROOT`` on an idle machine. Each candidate (48 bits, the
chapter's paper settings with other widths) trains 20 batches of 100 CIFAR-10 images after 3 warm-up batches
with 2 threads and prints images/s. Measured on 2 idle AMD EPYC Zen 5 cores (AVX-512 BF16), fp32 / bf16 img/s:
16 per stream, fusion 256, FC 512 (the paper profile's main runs, 1.07 M parameters) 1,346 / 1,614; 24, 384, 768
(2.39 M) 782 / 964; Table 1's reading 32, 512, 1,000 (4.22 M; the chapter's 50-epoch runs, under bf16) 505 / 660.
"""

import sys
from dataclasses import replace

from hashlib_core.data import load_dataset
from hashlib_core.methods.zeng import DshLoss, Zeng, hash_outputs
from hashlib_core.objectives import PairwiseLoss
from hashlib_core.train import fit_speed

CANDIDATES = (((16, 16, 16), 256, 512), ((24, 24, 24), 384, 768), ((32, 32, 32), 512, 1000))
BATCH, BITS = 100, 48


def main(data_root: str) -> None:
    method = Zeng()
    paper = method.plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    images, labels = dataset.images[:23 * BATCH], dataset.labels[:23 * BATCH]
    objective = PairwiseLoss(DshLoss(paper.alpha), hash_outputs)
    print(f"{'widths':>14} {'fusion':>6} {'fc':>5} {'precision':>9} {'parameters':>10} {'images/s':>9}")
    for widths, fusion, fc in CANDIDATES:
        settings = replace(paper, widths=widths, fusion_width=fusion, fc_width=fc)
        for precision in ("fp32", "bf16"):
            network = method.build_network(dataset, BITS, settings)
            speed = fit_speed(network, images, labels, objective, batch_size=BATCH, precision=precision,
                              optimizer="adam", lr=paper.recipe.lr, schedule="constant", threads=2)
            parameters = sum(p.numel() for p in network.parameters())
            print(f"{str(widths):>14} {fusion:>6} {fc:>5} {precision:>9} {parameters:>10,} {speed:>9.0f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
