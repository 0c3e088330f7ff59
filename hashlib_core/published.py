"""Numbers *quoted from the papers*, never measured here: chapters show them beside ours, labelled.

Introduced in the classic-baselines chapter. Each entry names its source
(paper, table) and the protocol and metric it used, so a chapter can put
ours next to it under the same conditions.
"""

from __future__ import annotations

__all__ = ["PUBLISHED_BASELINES"]

# Each entry: source, dataset, the feature we feed the methods, protocol, metric, map depth (None = full
# ranking), values per method as {method: {bits: mAP}} on the 0..1 scale, and what the source leaves open.
PUBLISHED_BASELINES = [
    {"source": "Guo & Li (CNNBH), Table 1", "dataset": "cifar10", "feature": "gist512", "protocol": "cnnh",
     "metric": "mAP", "depth": None,
     "values": {"ksh": {12: 0.303, 24: 0.337, 32: 0.346, 48: 0.356},
                "lsh": {12: 0.121, 24: 0.126, 32: 0.120, 48: 0.120}}},
    {"source": "Guo & Li (CNNBH), Table 1", "dataset": "mnist", "feature": "pixels", "protocol": "cnnh",
     "metric": "mAP", "depth": None,
     "values": {"ksh": {12: 0.872, 24: 0.891, 32: 0.897, 48: 0.900},
                "lsh": {12: 0.187, 24: 0.209, 32: 0.235, 48: 0.243}}},
    {"source": "Jin (USDH), Table 1", "dataset": "cifar10", "feature": "gist512", "protocol": "deepbit",
     "metric": "mAP@1000", "depth": 1000,
     "values": {"lsh": {16: 0.1255, 32: 0.1376, 64: 0.1507}, "pcah": {16: 0.1291, 32: 0.1260, 64: 0.1210},
                "itq": {16: 0.1567, 32: 0.1620, 64: 0.1664}, "sh": {16: 0.1255, 32: 0.1242, 64: 0.1256},
                "sphh": {16: 0.1398, 32: 0.1458, 64: 0.1538}},
     "note": "USDH quotes these (as percentages) without naming the baselines' input features; we use 512-d GIST"},
    {"source": "Lin et al. (DLBHC) release, CIFAR-10 table", "dataset": "cifar10", "feature": "gist512",
     "protocol": "cnnh", "metric": "mAP", "depth": None,
     "values": {"itq-cca": {12: 0.264, 32: 0.288, 48: 0.295}},
     "note": "the release lists ITQ-CCA under the CNNH setting (1,000 queries, 5,000 labelled training images)"},
]
