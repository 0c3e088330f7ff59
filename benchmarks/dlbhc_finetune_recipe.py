"""DLBHC fine-tuning recipes on CIFAR-10 at 48 bits: how fast the pre-trained stem may move under the new H and F8.

Usage: ``python benchmarks/dlbhc_finetune_recipe.py DATA_ROOT [OUT.json]`` on an idle machine (about 5 minutes per
recipe on 2 cores). Every recipe starts from the chapter's pre-trained CIFAR-10 backbone (paper profile, from
its checkpoint: run the chapter first, or this script pre-trains it, about 37 minutes) and fine-tunes 48 bits
through :func:`hashlib_core.experiment.train_network`; a recipe the chapter already trained comes from its
checkpoint. Reported: test accuracy and mAP@1000 over all 10,000 test queries against the 50,000 training images
(the release's protocol). The DLBHC chapter shows the results file (``results/dlbhc/finetune_recipe.json``).
"""

import json
import sys
import time
from dataclasses import asdict, replace

import numpy as np

from hashlib_core.data import load_dataset
from hashlib_core.experiment import encode_layers, pretrain, train_network
from hashlib_core.methods import DLBHC
from hashlib_core.methods.dlbhc import MAP_DEPTH
from hashlib_core.metrics import hamming_map
from hashlib_core.protocols import protocol_for
from hashlib_core.runtime import environment_record

BITS = 48
# (label, stem learning-rate scale, peak learning rate of H and F8, epochs)
RECIPES = [("whole network at one rate (paper profile)", 1.0, 2e-3, 4),
           ("stem at 0.1x", 0.1, 2e-3, 4),
           ("stem at 0.1x, new layers 5e-3", 0.1, 5e-3, 4)]


def main(data_root: str, out: str | None = None) -> None:
    method = DLBHC()
    settings = method.plan("paper", ["cifar10"])["cifar10"]
    dataset = load_dataset("cifar10", data_root, progress=False)
    protocol = protocol_for(dataset, "dlbhc", seed=0)
    every_query = protocol_for(dataset, "dlbhc", seed=0, n_queries=None)
    labels = dataset.labels.numpy()
    test = dataset.test_indices
    pretrained = pretrain(method, dataset, protocol, settings, progress=False)
    runs = []
    for label, stem_scale, lr, epochs in RECIPES:
        recipe = replace(settings.recipe, lr=lr, epochs=epochs,
                         lr_scales=(("stem", stem_scale),) if stem_scale != 1.0 else ())
        variant = replace(settings, recipe=recipe)
        network = train_network(method, dataset, protocol, variant, BITS, pretrained=pretrained, progress=False)
        outputs = encode_layers(method, network.model, dataset.images)
        codes, latent = method.codes(outputs), outputs["latent"]
        runs.append({"recipe": label, "stem_lr_scale": stem_scale, "lr": lr, "epochs": epochs,
                     "training_seconds": sum(entry["seconds"] for entry in network.history),
                     "test_accuracy": float((outputs["scores"][test].argmax(1) == labels[test]).mean()),
                     f"map_at_{MAP_DEPTH}": hamming_map(codes[every_query.query], codes[every_query.database],
                                                        labels[every_query.query], labels[every_query.database],
                                                        MAP_DEPTH),
                     "share_of_saturated_h": float(np.mean((latent < 0.1) | (latent > 0.9))),
                     "from_checkpoint_epochs": network.resumed_epochs})
        print(runs[-1], flush=True)
    if out:
        with open(out, "w") as handle:
            json.dump({"bits": BITS, "finetune_base": asdict(settings.recipe), "runs": runs,
                       "command": "python benchmarks/dlbhc_finetune_recipe.py DATA_ROOT",
                       "environment": environment_record("cpu"), "finished": time.strftime("%Y-%m-%d %H:%M")},
                      handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
