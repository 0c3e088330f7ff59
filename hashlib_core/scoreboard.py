"""The front page's scoreboard: each chapter's headline claim, ours from the committed results files beside the
paper's numbers, and whether it reproduces.

Introduced on the book's front page (the ``scoreboard`` directive of ``_ext/scoreboard.py`` renders
:func:`scoreboard_markdown` at build time, so the page never shows numbers older than the results files).
A chapter adds its claims to :data:`CLAIMS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .published import CNNBH_TABLE1, DLBHC_RELEASE_MAP1000, LILI_PRECISION_48, USDH_TABLE1, USDH_TABLE5, ZENG_TARGETS
from .results import metric_value, read_results
from .runtime import repository_root

__all__ = ["Claim", "CLAIMS", "scoreboard_rows", "scoreboard_markdown", "comparison_line"]

COMPARISON_FILE = Path("results") / "comparison" / "cifar10.json"


@dataclass(frozen=True)
class Claim:
    """A published headline: ``metric`` of ``method`` on ``dataset`` per code length, from ``source``; it
    reproduces when ours is at most ``tolerance`` below at every code length both have. ``profile``: the run
    whose results file is read (``paper``: ``results/<chapter>/``, else ``results/<chapter>/<profile>/``),
    ``note``: how that run differs from the paper, shown beside the method; ``shown_dataset``: the dataset named on
    the page when the rows sit in another dataset's results file (USDH's Oxford-17 rows are in its CIFAR-10 file)."""

    chapter: str
    dataset: str
    metric: str
    method: str
    published: Mapping[int, float]
    source: str
    tolerance: float = 0.03
    profile: str = "paper"
    note: str = ""
    shown_dataset: str = ""

    @property
    def results_file(self) -> Path:
        """The results file's path relative to the repository root."""
        folder = Path("results") / self.chapter
        return (folder if self.profile == "paper" else folder / self.profile) / f"{self.dataset}.json"


CLAIMS = [
    Claim("cnnbh", "mnist", "mAP", "CNNBH", CNNBH_TABLE1["mnist"]["CNNBH"], "Table 1"),
    Claim("cnnbh", "cifar10", "mAP", "CNNBH", CNNBH_TABLE1["cifar10"]["CNNBH"], "Table 1"),
    Claim("dlbhc", "cifar10", "mAP@1000 (all test queries)", "DLBHC", DLBHC_RELEASE_MAP1000["DLBHC"],
          "code release", note="CPU backbone from scratch"),
    Claim("dlbhc", "cifar10", "mAP@1000 (all test queries)", "DLBHC", DLBHC_RELEASE_MAP1000["DLBHC"],
          "code release", profile="lite0", note="ImageNet EfficientNet-Lite0 for AlexNet"),
    *(Claim("zeng", name, "mAP", "Zeng (bilinear max+avg)", targets, "book target; the paper prints curves only",
            tolerance=0.0) for name, targets in ZENG_TARGETS.items()),
    Claim("zeng", "cifar10", "mAP (longer training)", "Zeng (bilinear max+avg)", {48: ZENG_TARGETS["cifar10"][48]},
          "book target; the paper prints curves only", tolerance=0.0, note="Table 1 widths, the paper's 50 epochs"),
    Claim("usdh", "cifar10", "mAP@1000", "USDH", USDH_TABLE1["USDH"], "Table 1",
          note="ImageNet EfficientNet-Lite0 teacher for VGG-19"),
    Claim("usdh", "cifar10", "table 5 accuracy (mean over splits)", "USDH 64-bit codes", {64: USDH_TABLE5["USDH"][0]},
          "Table 5", note="ImageNet EfficientNet-Lite0 teacher for VGG-19", shown_dataset="oxford17"),
    *(Claim("lili", name, "precision@1000", "Li & Li (one-step)", {48: LILI_PRECISION_48[name]["Li & Li"]}, figure,
            note="small Inception from scratch for ImageNet GoogLeNet")
      for name, figure in (("mnist", "Fig. 3"), ("cifar10", "Fig. 7, read off the curve"))),
    Claim("lili", "cifar10", "precision@1000", "Li & Li (one-step)", {48: LILI_PRECISION_48["cifar10"]["Li & Li"]},
          "Fig. 7, read off the curve", profile="lite0", note="ImageNet EfficientNet-Lite0 for GoogLeNet"),
]


def scoreboard_rows(claims: list[Claim] | None = None, root: str | Path | None = None) -> list[dict]:
    """One row per claim: ours and the paper's per code length, the lowest ours-minus-paper and its code length,
    the verdict and the results file's profile (a claim whose results file is missing says so)."""
    base = Path(root) if root is not None else repository_root()
    rows = []
    for claim in CLAIMS if claims is None else claims:
        path = base / claim.results_file
        row = {"chapter": claim.chapter, "dataset": claim.shown_dataset or claim.dataset, "metric": claim.metric,
               "method": claim.method, "source": claim.source, "note": claim.note}
        if not path.exists():
            rows.append({**row, "verdict": "not run yet", "bits": [], "ours": [], "paper": []})
            continue
        record = read_results(path)
        lengths = [bits for bits in sorted(claim.published) if bits in record["code_lengths"]
                   and any(entry["name"] == claim.metric and entry["method"] == claim.method
                           and entry.get("bits") == bits for entry in record["metrics"])]
        if not lengths:
            rows.append({**row, "verdict": "not run yet", "bits": [], "ours": [], "paper": []})
            continue
        ours = [metric_value(record, claim.metric, claim.method, bits) for bits in lengths]
        paper = [claim.published[bits] for bits in lengths]
        gap, worst_bits = min(((mine - theirs, bits) for mine, theirs, bits in zip(ours, paper, lengths)),
                              default=(0.0, None))
        verdict = "reproduced" if -gap <= claim.tolerance else f"below by up to {-gap:.3f}"
        rows.append({**row, "bits": lengths, "ours": ours, "paper": paper, "worst_gap": gap, "worst_bits": worst_bits,
                     "verdict": verdict, "profile": record["parameters"].get("profile", "?")})
    return rows


def scoreboard_markdown(claims: list[Claim] | None = None, root: str | Path | None = None) -> str:
    """The scoreboard as a MyST Markdown table, chapters linked by method name: ours and the paper's at the
    longest code length both have, and the verdict with the code length where ours falls furthest below."""
    lines = ["| method | dataset | metric | ours | paper | verdict |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in scoreboard_rows(claims, root):
        link = f"{{doc}}`{row['method']} <{row['chapter']}>`" + (f" ({row['note']})" if row["note"] else "")
        if not row["bits"]:
            lines.append(f"| {link} | {row['dataset']} | {row['metric']} | - | - | {row['verdict']} |")
            continue
        run = "" if row["profile"] == "paper" else f" ({row['profile']} run)"
        lines.append(f"| {link} | {row['dataset']} | {row['metric']}, {row['bits'][-1]} bits | {row['ours'][-1]:.3f} | "
                     f"{row['paper'][-1]:.3f} ({row['source']}) | {row['verdict']} (ours minus paper "
                     f"{row['worst_gap']:+.3f} at {row['worst_bits']} bits){run} |")
    line = comparison_line(root)
    return "\n".join(lines) + (f"\n\n{line}" if line else "")


def comparison_line(root: str | Path | None = None) -> str:
    """A sentence linking the comparison chapter with its best method by mean mAP at its longest code ("" before
    that chapter has a results file)."""
    path = (Path(root) if root is not None else repository_root()) / COMPARISON_FILE
    if not path.exists():
        return ""
    record = read_results(path)
    longest = max(record["code_lengths"])
    scores: dict[str, list[float]] = {}
    for row in record["metrics"]:
        if row["name"] == "mAP" and row.get("bits") == longest:
            scores.setdefault(row["method"], []).append(row["value"])
    best = max(scores, key=lambda method: sum(scores[method]) / len(scores[method]))
    seeds = len(scores[best])
    return (f"The papers' numbers come from five different protocols; {{doc}}`the side-by-side chapter <comparison>` "
            f"trains all five methods on one protocol with one CPU budget over {seeds} seeds and shows what each "
            f"costs (highest mean mAP at {longest} bits there: {best}, {sum(scores[best]) / seeds:.3f}).")
