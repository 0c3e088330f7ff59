"""The book's own Sphinx extensions (``_ext/``): one copy of each inline script, unique exercise ids, and
author-year labels in the reference list."""

import sys
from pathlib import Path

from docutils import nodes
from pybtex.database import Entry, Person
from sphinx.builders.html._assets import _JavaScript

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from bibliography_style import AuthorYearLabels, author_year_label  # noqa: E402
from unique_ids import number_exercise_ids  # noqa: E402
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


def test_exercise_and_solution_bodies_get_numbered_ids():
    document = nodes.document(None, None)
    for shared in ("exercise-content", "solution-content", "exercise-content"):
        document += nodes.section(ids=[shared])
    document += nodes.section(ids=["other"])
    number_exercise_ids(None, document, "page")
    assert [section["ids"] for section in document.findall(nodes.section)] == [
        ["exercise-content-1"], ["solution-content-1"], ["exercise-content-2"], ["other"]]


def _entry(year, *authors):
    entry = Entry("misc", fields={"year": year, "title": "T"})
    for author in authors:
        entry.add_person(Person(author), "author")
    return entry


def test_reference_labels_are_author_year_like_the_citations():
    assert author_year_label(_entry("2018", "Jin, Sheng")) == "Jin 2018"
    assert author_year_label(_entry("2015", "Guo, Jinma", "Li, Jianmin")) == "Guo & Li 2015"
    assert author_year_label(_entry("2015", "Lin, Kevin", "Yang, Huei-Fang", "Chen, Chu-Song")) == "Lin et al. 2015"
    labels = list(AuthorYearLabels().format_labels([_entry("2015", "Li, A", "Li, B"), _entry("2015", "Li, C", "Li, D"),
                                                    _entry("2019", "Zeng, F")]))
    assert labels == ["Li & Li 2015a", "Li & Li 2015b", "Zeng 2019"]
