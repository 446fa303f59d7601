"""A case's organisation, reference and title as ``add`` compares them with the open cases'
(store.open_lookalike): folded, so that the same request typed again in another case, with
other spaces or in other widths is still the same ("Batelco" and "batelco ", "R-1" and "r-1",
and the full-width "Ｒ－１" a Chinese input method types).

:func:`fold` is Unicode's caseless match (NFKC, case folded, NFKC again, as its NFKC_Casefold
does), with every run of white space one space and none around the text. The store keeps the
folded texts in columns of their own (m014), written with the case: computed here, in Python,
they are the same on both backends, where SQLite's ``lower()`` folds ASCII only and
PostgreSQL's follows the database's collation and neither applies NFKC; and an index over a
function of ours would make the SQLite file unreadable to a program that does not define it
(the ``sqlite3`` shell, an integrity check).

Pure; ``unicodedata`` is imported only for a text that is not ASCII.
"""

from __future__ import annotations

__all__ = ["FOLDED_COLUMNS", "fold", "folded"]

# The cases table's columns holding them, in the order of :func:`folded`.
FOLDED_COLUMNS = ("organisation_folded", "reference_folded", "title_folded")


def fold(text: str) -> str:
    """``text`` as two records of one request are compared: without case, width or spacing."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower there
        return " ".join(text.lower().split())
    from unicodedata import normalize

    return " ".join(normalize("NFKC", normalize("NFKC", text).casefold()).split())


def folded(organisation: str, reference: str | None, title: str) -> tuple[str, str | None, str]:
    """The values of :data:`FOLDED_COLUMNS` for a case; a reference that folds to nothing is
    none."""
    return fold(organisation), (fold(reference) or None) if reference is not None else None, fold(title)
