"""Binary codes: binarise real-valued layer outputs, pack bits into words, unpack.

Introduced in the introduction chapter; every chapter uses it.

Conventions
-----------
* A *bit matrix* is ``(n, bits) uint8`` with values in {0, 1}.
* A bit is 1 when the layer output is **strictly greater** than the threshold:
  ``threshold=0.0`` for sign-style layers (CNNBH's knob layer, DSH),
  ``threshold=0.5`` for sigmoid latent layers (DLBHC, Li et al.).
* Packed codes hold the bits of each row in little-endian order inside
  ``uint64`` words, padded with zero bits up to a multiple of 64. Padding bits
  are zero in queries and database alike, so they never add to a Hamming
  distance; any code length works (12, 24, 48 bits, ...).
* :func:`to_signed` / :func:`from_signed` convert {0,1} <-> {-1,+1}
  (0 -> -1, 1 -> +1), the form most losses use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PackedCodes",
    "as_numpy",
    "binarize",
    "pack",
    "unpack",
    "to_signed",
    "from_signed",
    "as_packed",
    "concatenate",
    "flipped_copies",
]

SIGMOID_THRESHOLD = 0.5
SIGN_THRESHOLD = 0.0


def as_numpy(values: Any, name: str = "values") -> np.ndarray:
    """Return ``values`` as a numpy array; torch tensors are detached and moved to the CPU."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype == object:
        raise ValueError(f"{name}: expected a numeric array, got an object array")
    return array


@dataclass(frozen=True)
class PackedCodes:
    """Binary codes packed into ``uint64`` words.

    Attributes
    ----------
    words : (n, ceil(n_bits / 64)) uint64, C-contiguous
    n_bits : the code length in bits
    """

    words: np.ndarray
    n_bits: int

    def __post_init__(self) -> None:
        if not isinstance(self.words, np.ndarray) or self.words.dtype != np.uint64 or self.words.ndim != 2:
            raise ValueError(f"PackedCodes.words must be a 2-D uint64 array, got {getattr(self.words, 'dtype', '')} "
                             f"with shape {getattr(self.words, 'shape', '')}")
        if isinstance(self.n_bits, (bool, np.bool_)) or not isinstance(self.n_bits, (int, np.integer)) \
                or self.n_bits < 1:
            raise ValueError(f"PackedCodes.n_bits must be a positive integer (the code length), got {self.n_bits!r}")
        if self.words.shape[1] != _words_for(self.n_bits):
            raise ValueError(f"PackedCodes: {self.n_bits} bits need {_words_for(self.n_bits)} words per code, "
                             f"got {self.words.shape[1]}")
        if not self.words.flags.c_contiguous:
            object.__setattr__(self, "words", np.ascontiguousarray(self.words))  # the kernels read rows in place
        # the kernels rely on zero padding: a set bit beyond n_bits means the words hold a longer code
        spare = _words_for(self.n_bits) * 64 - self.n_bits
        if spare and len(self.words):
            padding = np.uint64(((1 << spare) - 1) << (64 - spare))
            if np.any(self.words[:, -1] & padding):
                raise ValueError(f"PackedCodes: bits beyond the {self.n_bits}-bit code length are set; the words "
                                 "hold longer codes than n_bits says. Build codes with pack(bits) or give the "
                                 "true n_bits")
        object.__setattr__(self, "n_bits", int(self.n_bits))

    def __len__(self) -> int:
        return self.words.shape[0]

    def __getitem__(self, rows: Any) -> "PackedCodes":
        """Select codes by index, slice or mask; always returns a 2-D :class:`PackedCodes`."""
        selected = self.words[rows]
        if selected.ndim == 1:
            selected = selected[None, :]
        return PackedCodes(np.ascontiguousarray(selected), self.n_bits)

    def to_bytes(self) -> np.ndarray:
        """``(n, n_bits / 8) uint8`` in faiss' binary layout; needs ``n_bits % 8 == 0``."""
        if self.n_bits % 8:
            raise ValueError(f"byte layout needs a code length that is a multiple of 8, got {self.n_bits} bits")
        as_bytes = self.words.view(np.uint8).reshape(len(self), self.words.shape[1] * 8)
        return np.ascontiguousarray(as_bytes[:, : self.n_bits // 8])


def _words_for(n_bits: int) -> int:
    return (n_bits + 63) // 64


def binarize(outputs: Any, threshold: float = SIGN_THRESHOLD) -> np.ndarray:
    """Threshold real-valued outputs into a bit matrix.

    outputs: (n, bits) float (numpy array or torch tensor); returns (n, bits)
    uint8 with ``1`` where ``outputs > threshold``. NaN or infinite values raise
    ``ValueError`` instead of silently becoming 0.
    """
    values = as_numpy(outputs, "outputs")
    if values.ndim != 2:
        raise ValueError(f"outputs must be 2-D (n, bits), got shape {values.shape}")
    if values.shape[1] < 1:
        raise ValueError("outputs have zero columns: a code needs at least one bit")
    if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ValueError(f"outputs contain {bad} NaN/inf values; check the network (diverged training?)")
    return (values > threshold).astype(np.uint8)


def _check_bits(bits: Any, name: str = "bits") -> np.ndarray:
    array = as_numpy(bits, name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, bits) matrix of 0/1 values, got shape {array.shape}")
    if array.shape[1] < 1:
        raise ValueError(f"{name} has zero columns: a code needs at least one bit")
    if array.dtype == bool:
        return array.astype(np.uint8)
    if array.size and not np.isin(array, (0, 1)).all():
        others = np.unique(array[~np.isin(array, (0, 1))])[:5]
        hint = " (signed codes? use from_signed)" if np.isin(others, (-1,)).any() else ""
        raise ValueError(f"{name} must hold only 0 and 1, found values such as {others.tolist()}{hint}")
    return array.astype(np.uint8, copy=False)


def pack(bits: Any) -> PackedCodes:
    """Pack a ``(n, bits)`` {0,1} matrix into :class:`PackedCodes` (any code length)."""
    matrix = _check_bits(bits)
    n, n_bits = matrix.shape
    padded_bits = _words_for(n_bits) * 64
    packed_bytes = np.packbits(matrix, axis=1, bitorder="little")
    if packed_bytes.shape[1] < padded_bits // 8:
        packed_bytes = np.pad(packed_bytes, ((0, 0), (0, padded_bits // 8 - packed_bytes.shape[1])))
    words = np.ascontiguousarray(packed_bytes).view("<u8").astype(np.uint64, copy=False)
    return PackedCodes(np.ascontiguousarray(words.reshape(n, _words_for(n_bits))), n_bits)


def unpack(codes: PackedCodes) -> np.ndarray:
    """Inverse of :func:`pack`: ``(n, n_bits)`` uint8 in {0,1}."""
    as_bytes = np.ascontiguousarray(codes.words).astype("<u8", copy=False).view(np.uint8)
    bits = np.unpackbits(as_bytes.reshape(len(codes), codes.words.shape[1] * 8), axis=1, bitorder="little")
    return np.ascontiguousarray(bits[:, : codes.n_bits])


def as_packed(codes: Any, name: str = "codes") -> PackedCodes:
    """Accept :class:`PackedCodes` or a {0,1} bit matrix and return :class:`PackedCodes`."""
    if isinstance(codes, PackedCodes):
        return codes
    return pack(_check_bits(codes, name))


def to_signed(bits: Any) -> np.ndarray:
    """{0,1} -> {-1,+1} as int8 (0 becomes -1)."""
    matrix = _check_bits(bits)
    return (matrix.astype(np.int8) * 2 - 1).astype(np.int8)


def from_signed(signs: Any) -> np.ndarray:
    """{-1,+1} -> {0,1} as uint8; any other value raises ``ValueError``."""
    array = as_numpy(signs, "signs")
    if array.size and not np.isin(array, (-1, 1)).all():
        others = np.unique(array[~np.isin(array, (-1, 1))])[:5]
        raise ValueError(f"signs must hold only -1 and +1, found values such as {others.tolist()}")
    return (array > 0).astype(np.uint8)


def concatenate(parts: list[PackedCodes]) -> PackedCodes:
    """The codes of ``parts`` (same code length) one after another."""
    lengths = {part.n_bits for part in parts}
    if len(lengths) != 1:
        raise ValueError(f"can only concatenate codes of one length, got {sorted(lengths)} bits")
    return PackedCodes(np.concatenate([part.words for part in parts]), lengths.pop())


def flipped_copies(codes: PackedCodes, rows: np.ndarray, flip: float, rng: np.random.Generator, *,
                   chunk: int = 1 << 20) -> PackedCodes:
    """Copies of ``codes[rows]`` with each bit flipped independently with probability ``flip`` (draws from
    ``rng``, ``chunk`` rows at a time so millions of copies fit in memory; the draws equal one big draw)."""
    if not 0 <= flip <= 1:
        raise ValueError(f"flip is a probability in [0, 1], got {flip}")
    parts = [pack(unpack(codes[rows[start:start + chunk]]) ^ (rng.random((len(rows[start:start + chunk]),
                                                                            codes.n_bits)) < flip))
             for start in range(0, len(rows), chunk)]
    return concatenate(parts) if parts else PackedCodes(np.zeros((0, codes.words.shape[1]), np.uint64), codes.n_bits)
