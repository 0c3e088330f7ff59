"""Classic hashing baselines, all with one interface (:class:`HashingMethod`); their input features are in
:mod:`hashlib_core.features` (GIST: :mod:`hashlib_core.gist`).

Introduced in the classic-baselines chapter; every chapter compares against them.
"""

from .base import HashingMethod
from .itq import ITQ, ITQCCA
from .ksh import KSH
from .lsh import LSH
from .pca import PCAH
from .sh import SpectralHashing
from .sphh import SphericalHashing

BASELINES: dict[str, type[HashingMethod]] = {
    "lsh": LSH, "pcah": PCAH, "itq": ITQ, "sh": SpectralHashing, "sphh": SphericalHashing,
    "ksh": KSH, "itq-cca": ITQCCA,
}


def make_baseline(name: str, n_bits: int, seed: int = 0, **options) -> HashingMethod:
    """Build a baseline by name (``lsh``, ``pcah``, ``itq``, ``sh``, ``sphh``, ``ksh``, ``itq-cca``)."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    return BASELINES[name](n_bits, seed=seed, **options)


__all__ = ["BASELINES", "HashingMethod", "make_baseline", "LSH", "PCAH", "ITQ", "ITQCCA",
           "SpectralHashing", "SphericalHashing", "KSH"]
