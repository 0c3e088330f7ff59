"""Sphinx extension for this book: unique HTML ids for exercise and solution bodies.

sphinx-exercise (1.2.1, the newest release) gives the body of every exercise
the same id, ``exercise-content`` (and of every solution ``solution-content``),
so a page with three exercises has three elements with one id (invalid HTML; a
link to it finds only the first). Nothing refers to those ids, so each one gets
a number on its page: ``exercise-content-1``, ``exercise-content-2``, ...
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

SHARED_IDS = ("exercise-content", "solution-content")


def number_exercise_ids(app: Any, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved`` handler: rename every shared exercise or solution body id to a numbered one."""
    counts = dict.fromkeys(SHARED_IDS, 0)
    for section in doctree.findall(nodes.section):
        for shared in SHARED_IDS:
            if shared in section["ids"]:
                counts[shared] += 1
                section["ids"] = [f"{shared}-{counts[shared]}" if name == shared else name for name in section["ids"]]


def setup(app: Any) -> dict:
    app.connect("doctree-resolved", number_exercise_ids)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
