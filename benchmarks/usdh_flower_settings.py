"""How ``studies.usdh.FLOWER_RECIPE`` was chosen: 64-bit USDH codes on Oxford-17, linear SVM accuracy on the
*validation* images (20 per class, which the paper leaves unused) of splits 0-2; the test images are not looked at.

Usage (the data root holding ``oxford17/``): ``HASHING_BOOK_DATA=DATA python benchmarks/usdh_flower_settings.py``.
Prints, per candidate recipe, the mean and spread of the validation accuracy and the seconds it took; the chapter's
Table 5 then uses the best one on the test images of all five splits.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hashlib_core.data import load_dataset
from hashlib_core.methods.usdh import PROFILES
from hashlib_core.protocols import protocol_for
from hashlib_core.studies.usdh import FlowerRecipe, flower_codes, svm_accuracy

CANDIDATES = {
    "chapter's CIFAR-10 settings (128 px teacher)": FlowerRecipe(),
    "224 px teacher": FlowerRecipe(teacher_size=224),
    "224 px, rho 2": FlowerRecipe(teacher_size=224, rho=2.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--resume-at", type=int, default=0, help="skip the first N candidates (already measured)")
    args = parser.parse_args()
    flowers = load_dataset("oxford17", None, progress=False)
    settings = PROFILES["paper"]["cifar10"]
    labels = flowers.labels.numpy()
    print(f"{args.bits}-bit USDH codes, linear SVM, validation accuracy over splits {args.seeds} "
          "(paper, 64 bits: 81.3 % on test)")
    for name, recipe in list(CANDIDATES.items())[args.resume_at:]:
        started, accuracies = time.perf_counter(), []
        for seed in args.seeds:
            protocol = protocol_for(flowers, "flowers", seed=seed)
            codes = flower_codes(flowers, recipe.settings(settings, args.bits), protocol, seed=seed, progress=False)
            accuracies.append(svm_accuracy(codes, labels, protocol, evaluate="validation")[0])
        print(f"{name:<46} {np.mean(accuracies):.3f} +- {np.std(accuracies, ddof=1):.3f}  "
              f"({', '.join(f'{a:.3f}' for a in accuracies)})  {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
