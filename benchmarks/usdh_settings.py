"""How the USDH paper profile's CIFAR-10 settings were chosen (the numbers in ``methods/usdh.py``'s comment).

Usage: ``HASHING_BOOK_DATA=DATA python benchmarks/usdh_settings.py "[dict(bits=32, epochs=5), dict(bits=32, alpha=0.3)]"``
after the chapter (or ``dataset_features(cifar10, "lite0-128px")``) has cached the teacher's features. Each dict
trains stage 1 only (J1 + J2 + J3) of the hash network on the cached features with the given keyword settings and
prints mAP@1000 on the ``deepbit`` protocol, the number of distinct codes and the seconds.
"""
import torch, numpy as np, sys, time; torch.set_num_threads(int(sys.argv[2]) if len(sys.argv)>2 else 2)
from hashlib_core.data import load_dataset
from hashlib_core.features import dataset_features
from hashlib_core.losses import teacher_similarity, semantic_loss, quantization_loss, bit_balance_loss
from hashlib_core.metrics import hamming_map
from hashlib_core.codes import pack
from hashlib_core.protocols import protocol_for
from hashlib_core.nets.usdh import sigmoid_hash_head
from hashlib_core.methods.usdh import calibrated_teacher
ds = load_dataset("cifar10", None, progress=False)
x,_ = dataset_features(ds, "lite0-128px", progress=False)
p = protocol_for(ds, "deepbit", seed=0)
x = torch.from_numpy(x).float(); xt = x[p.train]
z = (xt - xt.mean(0)) / xt.std(0).clamp_min(1e-6)
labels = ds.labels.numpy()
def run(rho=1.0, calib=True, alpha=0.1, balance=1.0, bits=32, epochs=10, lr=1e-3, hidden=1024, batch=100, semantic=True, cosine=False):
    torch.manual_seed(0); t=time.time()
    zz = calibrated_teacher(z, seed=0) if calib else z
    net = sigmoid_hash_head(x.shape[1], bits, hidden)
    net.standardize.set_statistics(xt.mean(0), xt.std(0).clamp_min(1e-6))
    opt = torch.optim.Adam(net.parameters(), lr)
    for ep in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i:i+batch]
            b = net(xt[idx])
            S = teacher_similarity(zz[idx], rho)
            loss = balance*bit_balance_loss(b) + alpha*quantization_loss(b) + (semantic_loss(b, S) if semantic else 0)
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad(): out = net(x)
    codes = (out > 0.5).numpy()
    m = hamming_map(pack(codes[p.query]), pack(codes[p.database]), labels[p.query], labels[p.database], 1000)
    print(dict(rho=rho, alpha=alpha, balance=balance, bits=bits, epochs=epochs, lr=lr, hidden=hidden, batch=batch), "mAP@1000 %.3f" % m, "unique", len(np.unique(codes, axis=0)), "loss %.3f" % loss.item(), "%.0fs" % (time.time()-t), flush=True)
for kw in eval(sys.argv[1]):
    run(**kw)
