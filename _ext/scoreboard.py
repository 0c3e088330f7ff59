"""Sphinx directive ``scoreboard``: the front page's table of headline claims, written from the committed results
files at build time (:func:`hashlib_core.scoreboard.scoreboard_markdown`)."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class ScoreboardDirective(SphinxDirective):
    """Insert the scoreboard table; the page is rebuilt when a results file changes."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from hashlib_core.runtime import repository_root
        from hashlib_core.scoreboard import CLAIMS, scoreboard_markdown

        for claim in CLAIMS:
            self.env.note_dependency(str(repository_root() / "results" / claim.chapter / f"{claim.dataset}.json"))
        container = nodes.container(classes=["scoreboard"])
        self.state.nested_parse(StringList(scoreboard_markdown().splitlines(), source="scoreboard"),
                                self.content_offset, container)
        return [container]


def setup(app: Any) -> dict:
    app.add_directive("scoreboard", ScoreboardDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
