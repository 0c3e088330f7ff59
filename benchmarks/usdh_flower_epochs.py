"""How ``studies.usdh.FLOWER_EPOCHS`` was chosen: 64-bit USDH codes on Oxford-17 split 0, linear SVM accuracy.

Usage: ``HASHING_BOOK_DATA=DATA python benchmarks/usdh_flower_epochs.py "[(5, 0, 0.3), (200, 20, 0.3)]"``: each tuple is
(stage-1 epochs, stage-2 epochs with rotations or 0, alpha) on the paper profile's teacher.
"""
import sys, numpy as np, torch
from dataclasses import replace
from hashlib_core.data import load_dataset
from hashlib_core.methods.usdh import USDH, PROFILES
from hashlib_core.protocols import protocol_for
from hashlib_core.experiment import train_network
from hashlib_core.studies.usdh import _svm_accuracy
fl = load_dataset("oxford17", None, progress=False)
s = PROFILES["paper"]["cifar10"]
labels = fl.labels.numpy()
for epochs, rot, alpha in eval(sys.argv[1]):
    n = replace(s, code_lengths=(64,), baselines=(), protocol="flowers", recipe=replace(s.recipe, epochs=epochs),
                rotation_recipe=replace(s.rotation_recipe, epochs=rot) if rot else None, alpha=alpha)
    p = protocol_for(fl, "flowers", seed=0)
    m = USDH("usdh")
    inp = m.network_inputs(fl, n, device="cpu", progress=False)
    tg = m.training_targets(fl, p, n, "cpu")
    tr = train_network(m, inp, p, n, 64, targets=tg, seed=0, device="cpu", checkpoints=False, progress=False)
    with torch.no_grad(): out = tr.model.eval().cpu()(inp.images.float())
    codes = (out > 0.5).numpy().astype(np.float32)
    print(epochs, rot, alpha, "acc %.3f" % _svm_accuracy(codes, labels, p)[0], flush=True)
