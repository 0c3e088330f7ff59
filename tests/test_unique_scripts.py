"""The book's Sphinx extension lists each inline script once (sphinx-thebe's 'const' twice breaks the page)."""

import sys
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from unique_scripts import unique_scripts  # noqa: E402


def test_repeated_inline_scripts_are_dropped_and_distinct_ones_kept():
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/doctools.js"), _JavaScript(None, body=thebe), _JavaScript("", body=thebe),
               _JavaScript(None, body="let a = 1"), _JavaScript("_static/doctools.js"),
               _JavaScript("_static/sphinx-thebe.js", **{"async": "async"})]
    context = {"script_files": scripts}
    unique_scripts(None, "page", "page.html", context, None)
    bodies = [script.attributes.get("body") for script in context["script_files"]]
    assert bodies.count(thebe) == 1 and "let a = 1" in bodies
    assert [script.filename for script in context["script_files"]].count("_static/doctools.js") == 1
    assert len(context["script_files"]) == 4
