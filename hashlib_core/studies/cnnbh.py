"""CNNBH's studies (Guo & Li 2015, Sec. 4.3): other ways to search with the same network, and the signs.

Introduced in the CNN Based Hashing chapter.

* :func:`search_alternatives`: Table 3, precision at the top 500 and 1,500 of
  CNNBH's codes against Euclidean ranking of the knob's outputs (``L2_fc``),
  of the outputs pushed apart by sign (``L2_fc+``, :func:`rectify`), and KSH /
  LSH on the knob's input ("Pool3") and LSH on 320-d GIST;
* :func:`signs_experiment`: mAP of Hamming ranking on the signs against
  Euclidean ranking of the outputs, the rectified outputs, and the magnitudes alone;
* :func:`findings_text`: what the two say in this run, in sentences written from their numbers.
"""

from __future__ import annotations

import numpy as np
import torch

from ..baselines.on_protocol import fit_and_encode
from ..evaluation import feature_report
from ..experiment import MethodRun
from ..features import dataset_features
from ..metrics import hamming_precision_recall_at_k
from ..nets.cnnbh import knob_inputs
from ..published import CNNBH_TABLE3
from ..train import encode

__all__ = ["rectify", "knob_input_features", "search_alternatives", "signs_experiment", "study_rows", "findings_text"]


def rectify(features: np.ndarray) -> np.ndarray:
    """Sec. 4.3's ``X_fc+``: add 0.5 to outputs >= 0 and subtract 0.5 from the others (signs pushed apart)."""
    values = np.asarray(features, dtype=np.float32)
    return np.where(values >= 0, values + 0.5, values - 0.5).astype(np.float32)


def knob_input_features(run: MethodRun, bits: int, device: str | torch.device = "auto") -> np.ndarray:
    """The knob's input (Pool3 for CIFAR-10, Pool2 for MNIST) for every image, under the ``bits`` network."""
    return encode(run.networks[bits].model, run.network_images, layer=knob_inputs, device=device).features


def _ksh_options(run: MethodRun) -> dict:
    return next((dict(baseline.options) for baseline in run.settings.baselines if baseline.method == "ksh"), {})


def search_alternatives(run: MethodRun, bits: int, *, device: str | torch.device = "auto",
                        progress: bool = True) -> list[dict]:
    """Table 3 rows ``{"method", "top", "ours", "paper"}`` for the ``bits`` network (the paper: 32 bits, CIFAR-10).

    Precision at the top 500 and 1,500 (50 and 150 when the database is
    smaller than 1,500); ``paper`` is quoted for CIFAR-10, None elsewhere.
    """
    query_labels, database_labels = run.part_labels("query"), run.part_labels("database")
    depths = [500, 1500] if len(database_labels) >= 1500 else [50, 150]
    query, database = run.layer(bits, "knob", "query"), run.layer(bits, "knob", "database")
    precision = {
        "CNNBH": hamming_precision_recall_at_k(run.part_codes("CNNBH", bits, "query"),
                                               run.part_codes("CNNBH", bits, "database"), query_labels,
                                               database_labels, depths)[0],
        "L2_fc": feature_report(query, database, query_labels, database_labels, ks=depths).precision_at_k,
        "L2_fc+": feature_report(rectify(query), rectify(database), query_labels, database_labels,
                                 ks=depths).precision_at_k}
    pool3 = knob_input_features(run, bits, device)
    gist320, _ = dataset_features(run.dataset, "gist320", progress=progress)
    for label, features, method, options in [("Pool3 + KSH", pool3, "ksh", _ksh_options(run)),
                                             ("Pool3 + LSH", pool3, "lsh", {}),
                                             ("GIST-320 + LSH", gist320, "lsh", {})]:
        codes, _ = fit_and_encode(method, bits, features, run.labels, run.protocol, seed=run.seed, **options)
        precision[label] = hamming_precision_recall_at_k(run.part_codes_of(codes, "query"),
                                                         run.part_codes_of(codes, "database"), query_labels,
                                                         database_labels, depths)[0]
    quoted = run.dataset.name == "cifar10"
    return [{"method": method, "top": depth, "ours": float(values[i]),
             "paper": CNNBH_TABLE3[method][depth] if quoted else None}
            for method, values in precision.items() for i, depth in enumerate(depths)]


def signs_experiment(run: MethodRun, bits: int) -> list[dict]:
    """mAP (whole ranking) of four rankings of the same knob outputs: do the signs carry the information?"""
    query_labels, database_labels = run.part_labels("query"), run.part_labels("database")
    query, database = run.layer(bits, "knob", "query"), run.layer(bits, "knob", "database")

    def euclidean(transform) -> float:
        return feature_report(transform(query), transform(database), query_labels, database_labels).map

    return [{"ranking": "Hamming on signs (CNNBH)", "mAP": run.reports[("CNNBH", bits)].map},
            {"ranking": "L2 on outputs (L2_fc)", "mAP": euclidean(lambda values: values)},
            {"ranking": "L2 on outputs ± 0.5 (L2_fc+)", "mAP": euclidean(rectify)},
            {"ranking": "L2 on magnitudes |x| (no signs)", "mAP": euclidean(np.abs)}]


def study_rows(alternatives, signs, bits: int) -> list[dict]:
    """Results-file rows of :func:`search_alternatives` and :func:`signs_experiment` (rows or data frames)."""
    import pandas as pd

    rows = [{"name": f"precision@{row['top']} (Table 3)", "method": row["method"], "bits": bits,
             "value": row["ours"], "published": row["paper"]} for row in pd.DataFrame(alternatives).to_dict("records")]
    rows += [{"name": "mAP (signs experiment)", "method": row["ranking"], "bits": bits, "value": row["mAP"]}
             for row in pd.DataFrame(signs).to_dict("records")]
    return rows


def findings_text(alternatives, signs, bits: int) -> str:
    """Markdown sentences on Table 3 and the signs experiment, written from this run's rows (rows or frames)."""
    import pandas as pd

    table = pd.DataFrame(alternatives)
    deepest = int(table["top"].max())
    at_depth = table[table["top"] == deepest].set_index("method")["ours"].sort_values(ascending=False)
    cnnbh = at_depth["CNNBH"]
    above = [f"{method} ({value:.3f})" for method, value in at_depth.items() if method != "CNNBH" and value < cnnbh]
    below = [f"{method} ({value:.3f})" for method, value in at_depth.items() if method != "CNNBH" and value >= cnnbh]
    table3 = (f"At the top {deepest:,}, CNNBH's precision is {cnnbh:.3f}"
              + (f", above {', '.join(above)}" if above else "")
              + (f"; {', '.join(below)} {'is' if len(below) == 1 else 'are'} at or above it" if below else "")
              + ".")
    quoted = table.dropna(subset=["paper"])
    if len(quoted):
        gaps = quoted["ours"] - quoted["paper"]
        table3 += (f" Against the paper's Table 3 our precisions differ by {gaps.min():+.3f} to {gaps.max():+.3f} "
                   f"(mean {gaps.mean():+.3f}).")
    values = pd.DataFrame(signs).set_index("ranking")["mAP"]
    hamming, euclidean, pushed, magnitudes = (values.iloc[i] for i in range(4))
    verdict = "supports" if hamming > euclidean and magnitudes < min(hamming, euclidean) else "does not support"
    signs_text = (f"The signs experiment {verdict} the paper's reading: Hamming ranking of the {bits} signs has mAP "
                  f"{hamming:.3f}, Euclidean ranking of the full real outputs {euclidean:.3f}, of the outputs pushed "
                  f"apart by sign {pushed:.3f}, and of the magnitudes without their signs {magnitudes:.3f}.")
    return f"{table3}\n\n{signs_text}"
