"""The executed chapters in book/: what the rendered book hides from them.

``_config.yml`` removes stderr streams from the pages (``stderr_output: remove``) because the runs write their
progress bars there. This checks that nothing else is hidden: every stderr stream of every executed chapter is a
progress bar, or tqdm's note that ipywidgets is missing (runs before the core switched to plain tqdm).
"""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = sorted((ROOT / "book").glob("*.ipynb"))
PROGRESS = re.compile(r"\d+%\|.*\|.*\[[\d:?<]+")  # tqdm: "42%|████  | 21/50 [00:03<00:04, ...]"
WIDGETS_NOTE = "TqdmWarning: IProgress not found"


def hidden_lines(text: str) -> list[str]:
    """The lines of a stderr stream that are neither progress bars nor blank nor tqdm's widgets note."""
    lines = [line for part in text.split("\r") for line in part.split("\n")]
    kept, skip_next = [], False
    for line in lines:
        if skip_next:  # the warning's second line: the source line that raised it
            skip_next = False
            continue
        if WIDGETS_NOTE in line:
            skip_next = True
            continue
        if line.strip() and not PROGRESS.search(line):
            kept.append(line)
    return kept


def test_the_book_removes_stderr_streams():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["stderr_output"] == "remove"


def test_the_recogniser_keeps_anything_but_progress():
    bar = "\rtraining:  40%|████      | 2/5 [00:03<00:04,  1.50s/epoch]\rtraining: 100%|██████████| 5/5 [00:08<00:00]\n"
    assert hidden_lines(bar) == []
    assert hidden_lines("x/tqdm/auto.py:21: TqdmWarning: IProgress not found. Please update\n  from .autonotebook "
                        "import tqdm as notebook_tqdm\n") == []
    assert hidden_lines("UserWarning: the loss is NaN\n") == ["UserWarning: the loss is NaN"]
    assert hidden_lines(bar + "RuntimeWarning: overflow\n") == ["RuntimeWarning: overflow"]


@pytest.mark.parametrize("path", EXECUTED, ids=[path.stem for path in EXECUTED])
def test_stderr_of_executed_chapters_is_only_progress(path):
    notebook = nbformat.read(path, as_version=4)
    hidden = [(index, line) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.output_type == "stream" and output.name == "stderr"
              for line in hidden_lines(output.text)]
    assert not hidden, f"{path.name}: the book would hide these stderr lines (cell, line): {hidden[:5]}"
