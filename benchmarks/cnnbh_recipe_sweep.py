"""Recipe sweep for the CNNBH chapter: train the paper's network under many recipes side by side on one GPU.

Usage::

    python benchmarks/cnnbh_recipe_sweep.py configs.json [workers]

``configs.json`` is a list of runs, e.g. ``{"dataset": "cifar10", "bits": 48,
"opt": "adamw", "lr": 0.003, "wd": 0.1, "aug": 1, "pad": 2, "epochs": 600}``
(optional: ``smoothing``, ``ema``, ``batch``, ``seed``, ``schedule``:
``"onecycle"`` or ``"paper"`` = the learning rate divided by 10 at 5/9 and 7/9 of
the run, the shape of the paper's 500 + 200 + 200 epochs). ``$DATA_ROOT``
holds ``cifar10/`` and ``MNIST/``; results go to ``$OUT/$NAME.json`` and a
ranked summary is printed.

Recipes are ranked by validation mAP: the cnnh protocol's 1,000 validation
images (outside the training set, never queries) against the database
without them. The query mAP is reported beside it, not used for choosing.
The chapter reads the collected runs from ``results/cnnbh/recipe_sweep_gpu.json``.
"""

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.environ.get("DATA_ROOT", "/tmp/data")
OUT = os.environ.get("OUT", "/tmp/out")


def run(config: dict) -> dict:
    """Train one recipe on the GPU and return it with its validation and query mAP."""
    torch.set_num_threads(1)
    from hashlib_core.codes import binarize, pack
    from hashlib_core.data import load_dataset
    from hashlib_core.metrics import hamming_map
    from hashlib_core.nets.cnnbh import cnnbh_cifar, cnnbh_mnist, knob_outputs
    from hashlib_core.protocols import protocol_for
    from hashlib_core.train import Augmentation, channel_statistics, encode, evaluate_accuracy, fit

    dataset = load_dataset(config["dataset"], ROOT, download=False, progress=False)
    protocol = protocol_for(dataset, "cnnh", seed=0)
    bits = config["bits"]
    model = cnnbh_cifar(bits) if config["dataset"] == "cifar10" else cnnbh_mnist(bits)
    train_images = dataset.images[protocol.train]
    model.standardize.set_statistics(*channel_statistics(train_images))
    smoothing = config.get("smoothing", 0.0)
    augmentation = None
    if config.get("aug"):
        augmentation = Augmentation(padding=config.get("pad", 4), flip=config["dataset"] == "cifar10")
    schedule = config.get("schedule", "onecycle")
    if schedule == "paper":
        schedule = lambda opt, total: torch.optim.lr_scheduler.MultiStepLR(opt, [total * 5 // 9, total * 7 // 9], 0.1)
    started = time.perf_counter()
    history = fit(model, train_images, dataset.labels[protocol.train],
                  lambda outputs, labels: F.cross_entropy(outputs, labels, label_smoothing=smoothing),
                  epochs=config["epochs"], batch_size=config.get("batch", 100), lr=config["lr"],
                  weight_decay=config["wd"], optimizer=config["opt"], schedule=schedule,
                  ema_decay=config.get("ema"), augmentation=augmentation, device="cuda",
                  seed=config.get("seed", 0), progress=False)
    seconds = time.perf_counter() - started
    labels = dataset.labels.numpy()
    features = encode(model, dataset.images, layer=knob_outputs, device="cuda").features
    codes = lambda indices: pack(binarize(features[indices], 0.0))
    validation_database = np.setdiff1d(protocol.database, protocol.validation)
    val_map = hamming_map(codes(protocol.validation), codes(validation_database), labels[protocol.validation],
                          labels[validation_database])
    test_map = hamming_map(codes(protocol.query), codes(protocol.database), labels[protocol.query],
                           labels[protocol.database])
    val_acc = evaluate_accuracy(model, dataset.images[protocol.validation], dataset.labels[protocol.validation],
                                device="cuda")
    result = {**config, "val_map": val_map, "test_map": test_map, "val_acc": val_acc,
              "train_acc": history[-1]["accuracy"], "seconds": seconds}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    configs = json.load(open(sys.argv[1]))
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    from hashlib_core.data import load_dataset

    for name in sorted({config["dataset"] for config in configs}):  # decode once; the workers hit the cache
        load_dataset(name, ROOT, download=False, progress=False)
    print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}), flush=True)
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(run, configs))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, os.environ.get("NAME", "sweep") + ".json"), "w") as stream:
        json.dump(results, stream, indent=1)
    for r in sorted(results, key=lambda r: -r["val_map"]):
        print(f"{r['dataset']:8s} {r['bits']:3d} {r['opt']:5s} lr {r['lr']:<6g} wd {r['wd']:<6g} "
              f"aug {r.get('aug', 0)} pad {r.get('pad', 4)} ema {r.get('ema')} b {r.get('batch', 100)} "
              f"{r.get('schedule', '')} sm {r.get('smoothing', 0)} ep {r['epochs']:4d}: val mAP {r['val_map']:.3f} "
              f"test mAP {r['test_map']:.3f} val acc {r['val_acc']:.3f} train acc {r['train_acc']:.3f} "
              f"{r['seconds']:.0f}s")


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.set_start_method("spawn")
    main()
