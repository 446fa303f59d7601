"""What a mistyped word was meant to be: the known words closest to it.

The command line asks it for a mistyped option or command ("Did you mean '--title'?") and for a
value from a fixed set ('orgnisation' → 'organisation'); the library for the sets it checks
itself (a case's kind, a language, a preset, a regulator, a notifier, a time zone). Imports
nothing of reminder's, and ``difflib`` only when asked: it is called on the way to an error.

:func:`nearby` is stricter, for a word that may well be none of them and is accepted as typed
(a case's channel, free text): a slip of one or two keys, counted as edits, not difflib's share
of letters in common ('Twitter' has two thirds of 'letter').
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the command line imports this module on its error path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["closest", "nearby"]


def closest(typed: str, known: Iterable[str], *, bare: Callable[[str], str] = str.casefold) -> list[str]:
    """The known words closest to ``typed``, closest first: those as close as the closest (within
    0.05 of difflib's ratio, at least 0.6), three at most. Compared as ``bare`` makes them (without
    case; the command line's options also without their dashes)."""
    from difflib import SequenceMatcher

    matcher = SequenceMatcher()
    matcher.set_seq2(bare(typed))
    scored: list[tuple[float, str]] = []
    for candidate in known:
        matcher.set_seq1(bare(candidate))
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((ratio, candidate))
    if not scored:
        return []
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    best = scored[0][0]
    return [candidate for ratio, candidate in scored[:3] if ratio >= best - 0.05]


def nearby(typed: str, known: Iterable[str], *, bare: Callable[[str], str] = str.casefold) -> list[str]:
    """The known words nearest ``typed`` by edits (a character added, dropped, changed, or two
    side by side swapped: 'emial' is one from 'email'), three at most: one edit from a word of
    4 to 7 characters, two from a longer one, none from a shorter one (one edit from 'app' is
    too many other words). Compared as ``bare`` makes them; ``typed`` itself is not near."""
    word = bare(typed)
    scored: list[tuple[int, str]] = []
    for candidate in known:
        other = bare(candidate)
        most = 0 if len(other) < 4 else 1 if len(other) < 8 else 2
        if most and other != word:
            edits = _edits(word, other, most)
            if edits <= most:
                scored.append((edits, candidate))
    if not scored:
        return []
    scored.sort()
    return [candidate for edits, candidate in scored[:3] if edits == scored[0][0]]


def _edits(a: str, b: str, most: int) -> int:
    """The edits from ``a`` to ``b`` (optimal string alignment), or ``most + 1`` as soon as
    they are sure to be more than ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        new = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cost = min(cost, before[j - 2] + 1)  # two swapped
            new[j] = cost
        if min(new) > most:
            return most + 1
        before, row = row, new
    return row[-1]
