"""Sphinx extension for this book: the reference list in the style of the citations in the text.

The chapters cite author-year ("Guo and Li [2015]"), but pybtex's built-in
styles label the list ``[GL15]`` (alpha) or ``[1]`` and lower-case every title
after its first word ("Cnn based hashing"). The ``book`` formatting style keeps
titles as the .bib file writes them, labels entries "Guo & Li 2015",
"Lin et al. 2015" (three or more authors), with a, b, ... for repeats, and sorts
the list by author and year.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import field, sentence


def author_year_label(entry: Any) -> str:
    """"Guo & Li 2015", "Jin 2018", "Lin et al. 2015" from an entry's authors (else editors) and year."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    surnames = [" ".join(person.last_names) for person in people] or ["Anon."]
    if len(surnames) == 1:
        who = surnames[0]
    elif len(surnames) == 2:
        who = f"{surnames[0]} & {surnames[1]}"
    else:
        who = f"{surnames[0]} et al."
    return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """pybtex label style: :func:`author_year_label`, a/b/... appended where two entries would share one."""

    def format_labels(self, sorted_entries):
        labels = [author_year_label(entry) for entry in sorted_entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter = Counter()
        for label in labels:
            if label in repeated:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1
            else:
                yield label


class BookStyle(UnsrtStyle):
    """unsrt with author-year labels, sorted by author and year, titles kept as written in the .bib file."""

    default_label_style = "author_year_book"
    default_sorting_style = "author_year_title"

    def format_title(self, e, which_field, as_sentence=True):
        formatted_title = field(which_field)
        return sentence[formatted_title] if as_sentence else formatted_title


def setup(app: Any) -> dict:
    register_plugin("pybtex.style.labels", "author_year_book", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "book", BookStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
