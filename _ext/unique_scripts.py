"""Sphinx extension for this book: each inline script once per page.

sphinx-thebe and sphinx-togglebutton register inline scripts (``add_js_file(None,
body=...)``) after the builder started, and Sphinx 7 then lists each of them
twice on every page; the second ``const THEBE_JS_URL = ...`` throws
"Identifier 'THEBE_JS_URL' has already been declared" in the browser. This
drops exact repeats (same file or body, same attributes; an inline script's
file is None in one registration and "" in the other) before the page is
written, keeping the first.
"""

from __future__ import annotations

from typing import Any


def _script_key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # an inline script is registered as None or as ""
    return str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


def unique_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context`` handler: remove repeated entries from the page's ``script_files``."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app: Any) -> dict:
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
