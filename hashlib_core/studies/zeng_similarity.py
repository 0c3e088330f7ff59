"""Zeng et al.'s combined similarity with a perceptual hash (Sec. 3.3, Eqs. 3-4), measured in both readings.

Introduced in the Zeng chapter (:mod:`hashlib_core.studies.zeng` re-exports it).

**Eq. 3**, for network codes H of n bits and 64-bit perceptual hashes H':
``sim = s(H1, H2) + s(H1', H2') / n`` if ``s(H1, H2) != 1``, else ``(n-1)/n + s(H1', H2') / n``.
The printed first case reads ``s(H1, H2')`` (a network code against a perceptual
hash of another length, which cannot be computed): both readings here use
``s(H1', H2')``. **Eq. 4** defines ``s`` as the normalised Hamming *distance*
``d / n`` while the text ranks "from high to low according to similarity", so
two readings are measured:

* ``"similarity"``: ``s = 1 - d/n`` (identical codes have s = 1), ranked from
  high to low. The perceptual term orders images *within* a Hamming distance;
  the else case puts identical codes level with codes one bit apart;
* ``"distance"``: ``s = d/n`` as printed, ranked from low to high (a distance):
  the same ordering within a Hamming distance, and the else case (every bit
  different) moves complementary codes one bit closer.

Both reduce to an integer key ``D * 64 + d'`` with the network codes' Hamming
distance ``D`` clipped (``max(d, 1)`` or ``min(d, n - 1)``) and ``d'`` the
perceptual hashes' distance; ties of the key go by database index, as
everywhere in this book.

The perceptual hash is ``imagehash.phash`` (a 64-bit DCT hash of the image
in grey levels, so it ignores colour, which the paper's Fig. 7 is about).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..codes import PackedCodes, as_packed, pack
from ..experiment import MethodRun
from ..metrics import average_precision, precision_at_k, relevance_matrix
from ..search import hamming_distances

__all__ = ["PERCEPTUAL_BITS", "READINGS", "perceptual_hashes", "combined_key", "combined_similarity", "combined_rank",
           "similarity_study", "changed_top", "similarity_text"]

PERCEPTUAL_BITS = 64
READINGS = ("similarity", "distance")
Reading = Literal["similarity", "distance"]


def perceptual_hashes(images: Any, *, progress: bool = True) -> PackedCodes:
    """``imagehash.phash`` of every image: ``images`` (n, C, H, W) uint8 (a tensor or an array) -> packed
    64-bit codes (n rows). Colour images are converted to grey levels by imagehash (PIL's ``L`` mode)."""
    import imagehash
    from PIL import Image
    from tqdm import tqdm

    pixels = np.asarray(images.numpy() if hasattr(images, "numpy") else images)
    if pixels.ndim != 4 or pixels.dtype != np.uint8 or pixels.shape[1] not in (1, 3):
        raise ValueError(f"images must be (n, 1 or 3, H, W) uint8, got {pixels.shape} {pixels.dtype}")
    bits = np.empty((len(pixels), PERCEPTUAL_BITS), dtype=np.uint8)
    for row, image in enumerate(tqdm(pixels, desc="perceptual hashes", disable=not progress, mininterval=2)):
        picture = Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0))
        bits[row] = imagehash.phash(picture).hash.reshape(-1)
    return pack(bits)


def _check_reading(reading: str) -> None:
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {READINGS} (see hashlib_core.studies.zeng_similarity), "
                         f"got {reading!r}")


def combined_key(code_distances: np.ndarray, perceptual_distances: np.ndarray, bits: int,
                 reading: Reading = "similarity") -> np.ndarray:
    """Eq. 3 as an integer ranking key (lower ranks first) from the network codes' Hamming distances (0..bits)
    and the perceptual hashes' (0..64), same shapes; see the module docstring for the two readings."""
    _check_reading(reading)
    code = np.asarray(code_distances, dtype=np.int64)
    clipped = np.maximum(code, 1) if reading == "similarity" else np.minimum(code, bits - 1)
    return clipped * PERCEPTUAL_BITS + np.asarray(perceptual_distances, dtype=np.int64)


def combined_similarity(code_distances: np.ndarray, perceptual_distances: np.ndarray, bits: int,
                        reading: Reading = "similarity") -> np.ndarray:
    """Eq. 3's value: in [0, 1], higher is more similar for ``"similarity"``, lower for ``"distance"``."""
    _check_reading(reading)
    code = np.asarray(code_distances, dtype=np.float64)
    visual = np.asarray(perceptual_distances, dtype=np.float64) / PERCEPTUAL_BITS
    if reading == "similarity":
        semantic, visual, special = 1 - code / bits, 1 - visual, code == 0
    else:
        semantic, special = code / bits, code == bits
    return np.where(special, (bits - 1) / bits, semantic) + visual / bits


def combined_rank(query_codes: Any, database_codes: Any, query_hashes: Any, database_hashes: Any, *,
                  reading: Reading = "similarity") -> np.ndarray:
    """Rank the whole database for each query by Eq. 3: ``(n_queries, n_database)`` int64 database indices,
    best first, ties by database index."""
    queries, database = as_packed(query_codes, "query_codes"), as_packed(database_codes, "database_codes")
    visual = hamming_distances(as_packed(query_hashes, "query_hashes"), as_packed(database_hashes, "database_hashes"))
    key = combined_key(hamming_distances(queries, database), visual, queries.n_bits, reading)
    return np.argsort(key, axis=1, kind="stable")


def _scores(ranking: np.ndarray, relevant: np.ndarray, visual: np.ndarray, top: int) -> dict[str, float]:
    ranked = np.take_along_axis(relevant, ranking, axis=1)
    nearest = np.take_along_axis(visual, ranking[:, :top], axis=1)
    return {"mAP": float(average_precision(ranked).mean()), f"precision@{top}": float(precision_at_k(ranked, [top])[0]),
            f"perceptual distance of the top {top}": float(nearest.mean())}


def similarity_study(run: MethodRun, hashes: PackedCodes, bits: int, *, top: int = 10) -> list[dict]:
    """Hamming ranking of the method's codes against Eq. 3 in both readings, on the run's protocol: mAP (full
    ranking), precision@``top`` and the mean perceptual-hash distance of the ``top`` results (how *visually*
    close they are). ``hashes``: :func:`perceptual_hashes` of every image of the run's dataset."""
    name = run.method.name
    queries, database = run.part_codes(name, bits, "query"), run.part_codes(name, bits, "database")
    query_hashes, database_hashes = run.part_codes_of(hashes, "query"), run.part_codes_of(hashes, "database")
    relevant = relevance_matrix(run.part_labels("query"), run.part_labels("database"))
    visual = hamming_distances(query_hashes, database_hashes)
    hamming = np.argsort(hamming_distances(queries, database), axis=1, kind="stable")
    rows = [{"ranking": "Hamming distance (ties by index)", "bits": bits, **_scores(hamming, relevant, visual, top)}]
    for reading in READINGS:
        ranking = combined_rank(queries, database, query_hashes, database_hashes, reading=reading)
        rows.append({"ranking": f"Eq. 3, s read as a {reading}", "bits": bits,
                     **_scores(ranking, relevant, visual, top)})
    return rows


def changed_top(run: MethodRun, hashes: PackedCodes, bits: int, *, count: int = 4, top: int = 10,
                reading: Reading = "similarity") -> dict[str, Any]:
    """The first ``count`` queries whose top ``top`` differs between Hamming ranking and Eq. 3 (``reading``):
    their dataset indices (``query``) and, per ranking name, the dataset indices of their top lists
    (``rankings``: (count, top) each), as :func:`hashlib_core.plots.ranking_grids` draws them."""
    name = run.method.name
    queries, database = run.part_codes(name, bits, "query"), run.part_codes(name, bits, "database")
    hamming = np.argsort(hamming_distances(queries, database), axis=1, kind="stable")[:, :top]
    combined = combined_rank(queries, database, run.part_codes_of(hashes, "query"),
                             run.part_codes_of(hashes, "database"), reading=reading)[:, :top]
    changed = np.flatnonzero((hamming != combined).any(axis=1))[:count]
    return {"query": run.protocol.query[changed],
            "rankings": {"Hamming ranking": run.protocol.database[hamming[changed]],
                         f"Eq. 3 (s as a {reading})": run.protocol.database[combined[changed]]}}


def similarity_text(rows) -> str:
    """What Eq. 3 changes against Hamming ranking, in both readings: mAP and the top's perceptual distance."""
    frame = pd.DataFrame(rows).set_index("ranking")
    hamming = frame.iloc[0]
    visual = next(column for column in frame.columns if column.startswith("perceptual distance"))
    parts = []
    for ranking, row in frame.iloc[1:].iterrows():
        parts.append(f"{ranking}: mAP {row['mAP']:.4f} ({row['mAP'] - hamming['mAP']:+.4f}), {visual} "
                     f"{row[visual]:.1f} bits ({row[visual] - hamming[visual]:+.1f})")
    return (f"Against Hamming ranking (mAP {hamming['mAP']:.4f}, {visual} {hamming[visual]:.1f} of 64 bits): "
            + "; ".join(parts) + ". The perceptual term reorders images that share a code distance, so it "
            "moves mAP little; what it buys is visually closer images at the top, as in the paper's Fig. 7, "
            "but in grey-level structure, not in colour.")
