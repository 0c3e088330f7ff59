"""The papers' deep hashing methods, one module each, all :class:`~hashlib_core.experiment.DeepHashingMethod`.

Introduced in the CNN Based Hashing chapter; ``METHODS`` maps a chapter name to its method.
"""

from .cnnbh import CNNBH
from .dlbhc import DLBHC
from .lili import LiLi
from .usdh import USDH
from .zeng import Zeng

METHODS = {"cnnbh": CNNBH(), "dlbhc": DLBHC(), "zeng": Zeng(), "usdh": USDH(), "lili": LiLi()}

__all__ = ["METHODS", "CNNBH", "DLBHC", "LiLi", "USDH", "Zeng"]
