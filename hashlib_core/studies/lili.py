"""Li & Li's CPU-time claims (Figs. 6, 10, 14): two-step search against linear search, measured here.

Introduced in the Li & Li chapter. The paper times, with 32-bit codes, the
"feature learning", a two-step search (a Hamming candidate pool, then cosine
similarity) and a linear search, and reports 20x-78x. :func:`search_times`
measures, for database sizes beyond the datasets' own (the real database
repeated with small perturbations, :func:`grown_database`: Gaussian noise of
``noise`` times each feature's spread, and the copy's code from the network's
own hash layer):

* one-step: Hamming ranking of packed codes (top k);
* two-step: a pool of ``pool`` Hamming-nearest codes re-ranked by cosine
  similarity of the real-valued layer, the pool taken two ways: the first
  ``pool`` in (distance, index) order
  (:func:`hashlib_core.search.coarse_to_fine_search`), and completed with its
  ties (:class:`hashlib_core.two_step.TwoStepIndex`), which does not depend on
  the order the database is stored in;
* linear: cosine similarity to every database item, with numpy BLAS
  (:func:`hashlib_core.search.feature_rank`) and with faiss ``IndexFlatIP``
  on unit-length features;

each as seconds per query, the speed-up of two-step over linear, and the
recall of two-step's top k among linear search's top k (same features).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np
import torch

from ..codes import PackedCodes, as_packed, concatenate, flipped_copies
from ..experiment import encode_layers
from ..runtime import timed
from ..search import coarse_to_fine_search, feature_rank, hamming_rank
from ..two_step import TwoStepIndex

if TYPE_CHECKING:
    from ..experiment import MethodRun

__all__ = ["grown_database", "search_times", "extraction_seconds", "time_rows", "TARGETS", "targets_text", "timing_text",
           "chapter_rows"]

# the book's targets for the paper profile (the issue's): precision of the top 1,000 at 48 bits, test accuracy with
# the latent layer, and at 1 M items two-step at least 20x faster than linear cosine search with recall@100 >= 0.95
TARGETS = {"precision@1000": {"mnist": 0.982, "cifar10": 0.71}, "test accuracy": {"cifar10": 0.875},
           "speed-up": 20.0, "recall@100": 0.95}


def grown_database(codes: PackedCodes, features: np.ndarray, size: int, *, flip: float = 0.02, noise: float = 0.05,
                   seed: int = 0, encode: Callable[[np.ndarray], PackedCodes] | None = None
                   ) -> tuple[PackedCodes, np.ndarray]:
    """``size`` items: the real ``codes`` and ``features`` first, then copies of random real items with Gaussian
    noise of ``noise`` x the per-dimension standard deviation (kept above each dimension's smallest real value: a
    ReLU layer has no negative values). A copy's code is ``encode(its features)`` (the network's own hash layer,
    so a copy is as far from its source in code space as the network puts it), or without ``encode`` its
    source's code with each bit flipped with probability ``flip``."""
    codes = as_packed(codes, "codes")
    if len(codes) != len(features) or size < len(codes):
        raise ValueError(f"need as many codes as features and size >= {len(codes)}, got {len(codes)} codes, "
                         f"{len(features)} features, size {size}")
    rng = np.random.default_rng(seed)
    extra = size - len(codes)
    if extra == 0:
        return codes, features
    source = rng.integers(0, len(codes), extra)
    spread = features.std(axis=0, keepdims=True) * noise
    moved = features[source] + rng.standard_normal((extra, features.shape[1])).astype(np.float32) * spread
    moved = np.maximum(moved, features.min(axis=0, keepdims=True)).astype(np.float32)
    copies = flipped_copies(codes, source, flip, rng) if encode is None else as_packed(encode(moved), "encode(...)")
    if len(copies) != extra or copies.n_bits != codes.n_bits:
        raise ValueError(f"encode must give one {codes.n_bits}-bit code per feature row, got {len(copies)} codes of "
                         f"{copies.n_bits} bits for {extra} rows")
    return concatenate([codes, copies]), np.concatenate([features, moved])


def _unit(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def _recall(found_lists, exact_lists, k: int) -> float:
    """Mean share of each exact top ``k`` that the found top ``k`` holds."""
    return float(np.mean([len(np.intersect1d(found[:k], exact[:k])) / k for found, exact in zip(found_lists, exact_lists)]))


def search_times(query_codes: PackedCodes, query_features: np.ndarray, database_codes: PackedCodes,
                 database_features: np.ndarray, *, pool: int = 1000, k: int = 100) -> dict:
    """One row: seconds per query of one-step search, of two-step search with two pools of ``pool`` codes, and of
    linear cosine search (numpy, faiss); the speed-ups of each two-step search over each linear search, and its
    recall@k of linear search's top k. The two pools: the first ``pool`` codes in (distance, index) order
    (:func:`hashlib_core.search.coarse_to_fine_search`), and the pool completed with its ties, every item as
    close as the ``pool``-th nearest (:class:`hashlib_core.two_step.TwoStepIndex`, whose one-off sorting is
    timed apart, as faiss' normalising of the database is)."""
    n_queries = len(query_codes)
    _, one_step = timed(lambda: hamming_rank(query_codes, database_codes, k))
    two_lists, two_step = timed(lambda: coarse_to_fine_search(query_codes, database_codes, query_features,
                                                                database_features, k, pool_size=pool,
                                                                metric="cosine"))
    index, build = timed(lambda: TwoStepIndex(database_codes, database_features))
    (tied_lists, pool_sizes), tied = timed(lambda: index.search(query_codes, query_features, k, pool))
    (linear_lists, _), linear = timed(lambda: feature_rank(query_features, database_features, k, metric="cosine"))
    row = {"database": len(database_codes), "bits": database_codes.n_bits, "pool": pool, "queries": n_queries,
           "one-step s/query": one_step / n_queries, "two-step s/query": two_step / n_queries,
           "two-step, pool with its ties s/query": tied / n_queries, "linear (numpy) s/query": linear / n_queries,
           "two-step index build s": build}
    linear_seconds = {"numpy": linear}
    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is not None:
        flat = faiss.IndexFlatIP(database_features.shape[1])
        flat.add(_unit(database_features))
        _, faiss_seconds = timed(lambda: flat.search(_unit(query_features), k))
        row["linear (faiss) s/query"] = faiss_seconds / n_queries
        linear_seconds["faiss"] = faiss_seconds
    for name, seconds in linear_seconds.items():
        row[f"speed-up over {name}"] = seconds / two_step
        row[f"speed-up (pool with its ties) over {name}"] = seconds / tied
    row[f"recall@{k}"] = _recall(two_lists, linear_lists, k)
    row[f"recall@{k} (pool with its ties)"] = _recall(tied_lists, linear_lists, k)
    row["items as close as the pool"] = float(pool_sizes.mean())
    return row


def _network_codes(run: "MethodRun", bits: int) -> Callable[[np.ndarray], PackedCodes]:
    """F4 features -> the codes the run's ``bits`` network gives them (its hash layer H on top of F4)."""
    model = run.networks[bits].model
    layer = next(model.latent.parameters())

    def encode(features: np.ndarray) -> PackedCodes:
        with torch.no_grad():
            outputs = [model.latent(torch.as_tensor(features[start:start + 65536], device=layer.device)).cpu().numpy()
                       for start in range(0, len(features), 65536)]
        return run.method.codes({run.method.hash_layer: np.concatenate(outputs)})

    return encode


def extraction_seconds(run: "MethodRun", bits: int, queries: int) -> float:
    """Seconds per image to compute every layer (F4, H, F5) of the first ``queries`` query images with the run's
    ``bits`` network, in batches on the run's device (the paper's "feature learning" time)."""
    images = run.network_images[torch.as_tensor(run.protocol.query[:queries])]
    model = run.networks[bits].model
    encode_layers(run.method, model, images[:8])  # warm-up: first-call allocations and kernel selection
    _, seconds = timed(lambda: encode_layers(run.method, model, images))
    return seconds / len(images)


def time_rows(run: "MethodRun", bits: int, sizes: tuple[int, ...], *, pools: tuple[int, ...] = (100, 1000),
              k: int = 100, queries: int = 1000, seed: int = 0) -> list[dict]:
    """:func:`search_times` for the run's ``bits`` network (its codes and F4 layer, ``"f7"`` in the outputs) with
    the database grown to each of ``sizes`` (:func:`grown_database`, the copies' codes from the network's H; never
    below the real database) and each pool size, for the first ``queries`` queries (the whole query set by
    default), with the feature extraction seconds per query (:func:`extraction_seconds`) and each search's
    seconds for all those queries."""
    method = run.method.name
    query_codes = run.part_codes(method, bits, "query")[:queries]
    query_features = run.layer(bits, "f7", "query")[:queries]
    codes, features = run.part_codes(method, bits, "database"), run.layer(bits, "f7", "database")
    extraction = extraction_seconds(run, bits, queries)
    encode = _network_codes(run, bits)
    rows = []
    for size in sizes:
        grown_codes, grown_features = grown_database(codes, features, max(size, len(codes)), seed=seed, encode=encode)
        for pool in pools:
            row = search_times(query_codes, query_features, grown_codes, grown_features, pool=pool, k=k)
            totals = {key.replace("s/query", "s (all queries)"): value * row["queries"] for key, value in row.items()
                      if key.endswith("s/query")}
            rows.append({"dataset": run.dataset.name, **row, "feature extraction s/query": extraction, **totals})
    return rows


def _verdict(ours: float, target: float) -> str:
    return f"{ours:.3f} against the target {target:.3f}: " + ("**met**" if ours >= target else "**not met**")


def targets_text(runs: Mapping[str, "MethodRun"], bits: int = 48) -> str:
    """The paper profile's accuracy and precision targets (:data:`TARGETS`) against the runs, one line each."""
    lines = []
    for name, run in runs.items():
        method = run.method.name
        length = bits if bits in run.settings.code_lengths else max(run.settings.code_lengths)
        report = run.reports[(method, length)]
        if 1000 in report.ks and name in TARGETS["precision@1000"]:
            precision = float(report.precision_at_k[list(report.ks).index(1000)])
            lines.append(f"* {name}, precision of the top 1,000 at {length} bits: "
                         + _verdict(precision, TARGETS["precision@1000"][name]) + ".")
        if name in TARGETS["test accuracy"] and length in run.accuracy:
            lines.append(f"* {name}, test accuracy with the latent layer (h = {length}): "
                         + _verdict(run.accuracy[length], TARGETS["test accuracy"][name]) + ".")
    return "\n".join(lines) or f"No target for {', '.join(runs)} (the targets are for the paper profile's datasets)."


_VARIANTS = (("", "the first {pool:,} codes in index order"), (" (pool with its ties)", "the pool with its ties"))


def _speeds(row: dict, variant: str) -> list[tuple[str, float]]:
    return [(name, row[f"speed-up{variant} over {name}"]) for name in ("numpy", "faiss")
            if f"speed-up{variant} over {name}" in row]


def _meets(row: dict, variant: str, k: int) -> bool:
    speeds = _speeds(row, variant)
    return bool(speeds) and min(value for _, value in speeds) >= TARGETS["speed-up"] \
        and row[f"recall@{k}{variant}"] >= TARGETS["recall@100"]


def timing_text(rows: list[dict], k: int = 100) -> str:
    """The CPU-time study in words, from its rows: at the largest database, for each pool size, two-step search
    with the first ``pool`` codes in index order and with the pool completed by its ties, each one's speed-up over
    linear search (numpy and faiss) and recall@k; whether any meets :data:`TARGETS`."""
    largest = max(row["database"] for row in rows)
    at_largest = sorted((row for row in rows if row["database"] == largest), key=lambda row: row["pool"])
    parts = []
    for row in at_largest:
        for variant, label in _VARIANTS:
            if f"recall@{k}{variant}" not in row:
                continue
            speeds = " and ".join(f"{value:.1f}x ({name})" for name, value in _speeds(row, variant))
            text = f"{label.format(pool=row['pool'])}: {speeds} as fast as linear search, recall@{k} " \
                   f"{row[f'recall@{k}{variant}']:.3f}"
            if variant and "items as close as the pool" in row:
                text += f" (on average {row['items as close as the pool']:,.0f} candidates)"
            parts.append(text)
    first = at_largest[0]
    sentence = (f"At {largest:,} items ({first['bits']} bits), two-step search with " + "; with ".join(parts) + "."
                if parts else f"At {largest:,} items: no two-step row.")
    last = at_largest[-1]
    if "two-step s (all queries)" in last:
        sentence += (f" For all {last['queries']:,} queries (pool {last['pool']:,}): two-step "
                     f"{last['two-step s (all queries)']:.2f} s")
        if "two-step, pool with its ties s (all queries)" in last:
            sentence += f", with its ties {last['two-step, pool with its ties s (all queries)']:.2f} s"
        sentence += (f", linear (numpy) {last['linear (numpy) s (all queries)']:.2f} s; computing the queries' "
                     f"features took {1e3 * last['feature extraction s/query']:.2f} ms per image.")
    if "items as close as the pool" in last and last["items as close as the pool"] > last["pool"]:
        sentence += (f" The Hamming ranking cannot order what it ties: on average "
                     f"{last['items as close as the pool']:,.0f} database items are as close to a query as its "
                     f"{last['pool']:,}th nearest code, so the index-order pool is the first {last['pool']:,} of "
                     f"them in storage order and the cosine step sees about "
                     f"{last['pool'] / last['items as close as the pool']:.0%} of the candidates it would need.")
    met = [(row["pool"], label.format(pool=row["pool"])) for row in at_largest for variant, label in _VARIANTS
           if f"recall@{k}{variant}" in row and _meets(row, variant, k)]
    verdict = (f"**met** ({met[0][1]})." if met else "**not met**.")
    return sentence + (f" Target (>= {TARGETS['speed-up']:.0f}x against both linear searches with recall@{k} >= "
                       f"{TARGETS['recall@100']}, either pool): ") + verdict


def chapter_rows(runs: Mapping[str, "MethodRun"], classification: list[dict], comparisons: Mapping[str, dict],
                 times: list[dict], timed_dataset: str) -> dict[str, list[dict]]:
    """The chapter's study rows per dataset for its results files: the classification rows (test error per model
    and source), the one-step / two-step study (:func:`hashlib_core.studies.dlbhc.search_rows`, the BCS rows named
    after the method and the HDS rows ``Li & Li (two-step)``), and for ``timed_dataset`` the CPU-time rows."""
    from ..methods.lili import TWO_STEP
    from .dlbhc import search_rows

    extra = {}
    for name, run in runs.items():
        extra[name] = [{"name": "test error (%)", "method": row["model"], "source": row["source"],
                        "value": row["test error (%)"]} for row in classification if row["dataset"] == name]
        extra[name] += search_rows(comparisons[name], names={"BCS": run.method.name, "HDS": TWO_STEP})
    extra[timed_dataset] += [{"name": f"cpu time: {key}", "method": "Li & Li", "bits": row["bits"], "value": row[key],
                              "database": row["database"], "pool": row["pool"]} for row in times
                             for key in row if key not in ("dataset", "database", "bits", "pool", "queries")]
    return extra
