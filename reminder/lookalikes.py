"""What a mistyped word was meant to be: the known words closest to it.

The command line asks it for a mistyped option or command ("Did you mean '--title'?") and for a
value from a fixed set ('orgnisation' → 'organisation'); the library for the sets it checks
itself (a case's kind, a language, a preset, a regulator, a notifier, a time zone). Imports
nothing of reminder's, and ``difflib`` only when asked: it is called on the way to an error.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the command line imports this module on its error path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["closest"]


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
