"""Time zones: check an IANA name, and find the zone a country's offices keep.

A case is reminded in its organisation's local time. When only a country is
known, its principal zone — the first the tz database's ``zone.tab`` lists for it
(Europe/Berlin for DE, America/New_York for US) — is the best guess.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["country_timezone", "is_timezone", "zone", "zone_error"]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached); raises ZoneInfoNotFoundError or ValueError."""
    return ZoneInfo(name)


def is_timezone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_error(name: str, otherwise: str) -> str:
    """The message for a name that is no IANA time zone: the zone probably meant ('Asia/Bahrian':
    'Asia/Bahrain'), else ``otherwise``."""
    from zoneinfo import available_timezones

    from .i18n import _, alternatives
    from .lookalikes import closest

    guesses = closest(name, sorted(available_timezones()))
    if not guesses:
        return otherwise
    return _(
        "unknown time zone %(value)s; did you mean %(guesses)s?",
        value=repr(name),
        guesses=alternatives(guesses),
    )


def country_timezone(country: str) -> str | None:
    """The principal time zone of an ISO 3166 country code, or None if unknown."""
    return _country_zones().get(country.upper())


@lru_cache(maxsize=1)
def _country_zones() -> dict[str, str]:
    from importlib import resources
    from pathlib import Path
    from zoneinfo import TZPATH

    text = None
    for base in TZPATH:
        path = Path(base) / "zone.tab"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            break
    if text is None:
        try:
            text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, OSError):
            return {}
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                zones.setdefault(parts[0], parts[2])
    return zones
