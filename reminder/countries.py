"""The countries reminder counts business days for: their codes, names and subdivisions.

:func:`validated` turns what a person typed ("bh", "UK", "Bahrain", "阿联酋", "DE-BY") into the
``holidays`` package's code and subdivision, or an error naming the closest valid ones;
the answer for a valid pair is kept in the holiday cache, so an everyday command does not
import the package to check a code it has seen. :func:`list_countries` is ``reminder
countries``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import UnknownCountry
from .holiday_years import WEEKDAY_NAMES, holiday_cache, holiday_class, holidays_package
from .i18n import N_, SOURCE_LANGUAGE, _, current_language, joined
from .record import Record, setfield

TYPE_CHECKING = False  # typing is for mypy: a window or an add does not import it (issue #20)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["LIST_HINT", "SHORT_NAMES", "CountryInfo", "list_countries", "validated"]

LIST_HINT = N_("run 'reminder countries' to list them all")

# The short Chinese names people type for countries whose CLDR name is long ("阿联酋" for
# 阿拉伯联合酋长国), each naming one country only; CLDR already gives 英国, 美国, 韩国, 朝鲜,
# 新西兰, 南非… A name that could be more than one ("刚果", "马其顿") is not here: the
# countries whose name holds it are offered instead (_named_in_part).
SHORT_NAMES: Mapping[str, str] = {
    "阿联酋": "AE",  # 阿拉伯联合酋长国
    "澳洲": "AU",  # 澳大利亚
    "波黑": "BA",  # 波斯尼亚和黑塞哥维那
    "孟加拉": "BD",  # 孟加拉国
    "刚果金": "CD",  # 刚果（金）
    "刚果布": "CG",  # 刚果（布）
    "香港": "HK",  # 中国香港特别行政区
    "印尼": "ID",  # 印度尼西亚
    "澳门": "MO",  # 中国澳门特别行政区
    "巴新": "PG",  # 巴布亚新几内亚
    "巴勒斯坦": "PS",  # 巴勒斯坦领土
    "沙特": "SA",  # 沙特阿拉伯
}


class CountryInfo(Record):
    """A country ``reminder window`` supports."""

    code: str
    name: str
    weekend: tuple[str, ...]
    subdivisions: Mapping[str, str]

    __slots__ = ("code", "name", "weekend", "subdivisions")

    def __init__(
        self,
        code: str,
        name: str,
        weekend: tuple[str, ...],
        subdivisions: Mapping[str, str] | None = None,
    ) -> None:
        setfield(self, "code", code)
        setfield(self, "name", name)
        setfield(self, "weekend", weekend)
        setfield(self, "subdivisions", {} if subdivisions is None else subdivisions)


def _camel_to_words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


@lru_cache(maxsize=1)
def _supported() -> dict[str, tuple[str, ...]]:
    # Imports every country's module (about 250, 0.1-0.2 s): only for listing and for errors.
    return {
        code: tuple(subs)
        for code, subs in holidays_package().list_supported_countries(include_aliases=False).items()
    }


@lru_cache(maxsize=1)
def _canonical_codes() -> dict[str, str]:
    """Every country code and alias ("UK", "GBR") to its ISO alpha-2 code ("GB"), read from
    holidays' registry without importing any country's module."""
    from holidays.registry import COUNTRIES

    out: dict[str, str] = {}
    for _class_name, alpha2, *aliases in COUNTRIES.values():
        for code in (alpha2, *aliases):
            if 2 <= len(code) <= 3:  # the rest are class-name aliases ("HolidaysAX")
                out.setdefault(code, alpha2)
    return out


def _country_name(code: str) -> str:
    cls = holiday_class(code)
    for klass in cls.__mro__:
        if klass.__name__ != code and len(klass.__name__) > 3 and "Holiday" not in klass.__name__:
            return _camel_to_words(klass.__name__)
    return code


def _closest(value: str, choices: Iterable[str], names: Mapping[str, str] | None = None) -> list[str]:
    import difflib  # here: only a code that is not a country's needs suggestions

    choices = list(choices)
    found = difflib.get_close_matches(value.upper(), choices, n=5, cutoff=0.5)
    if names:
        by_name = {n.lower(): c for c, n in names.items()}
        for n in difflib.get_close_matches(value.lower(), list(by_name), n=3, cutoff=0.6):
            if by_name[n] not in found:
                found.append(by_name[n])
    return found[:5]


def _named_in_users_language(name: str, supported: Iterable[str]) -> str | None:
    """The code of the supported country named ``name`` in the user's language ("巴林" → BH), or
    else in another language reminder writes (the Arabic of a letter: "البحرين" → BH).

    Only a name with a letter outside ASCII looks further than the user's language: an English
    name was looked up already, and CLDR's names in every language cost a file each to load."""
    from .i18n import KNOWN_LANGUAGES
    from .labels import country_name

    lang = current_language()
    others = [other for other in KNOWN_LANGUAGES if other not in (lang, SOURCE_LANGUAGE)]
    languages = [lang] if lang != SOURCE_LANGUAGE else []
    if not name.isascii():
        languages += others
    codes = list(supported)
    for language in languages:
        by_name = {country_name(code, "", language): code for code in codes}
        by_name.pop("", None)
        if name in by_name:
            return by_name[name]
    return None


def _named_in_part(name: str, supported: Iterable[str]) -> list[str]:
    """The supported countries whose name, in the user's language or another one reminder writes,
    holds ``name`` written in another script than English ("刚果" → CD, 刚果（金）, and CG,
    刚果（布）; "马其顿" → MK, 北马其顿): a short name a person knows a country by, offered, never
    taken for it (the short names that are one country's are :data:`SHORT_NAMES`)."""
    from .i18n import KNOWN_LANGUAGES
    from .labels import country_name

    if name.isascii() or len(name) < 2:
        return []
    codes = sorted(supported)
    found: list[str] = []
    for language in KNOWN_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        for code in codes:
            if code not in found and name in country_name(code, "", language):
                found.append(code)
    return found[:5]


def _validate(country: str, subdivision: str | None) -> tuple[str, str | None]:
    code = country.strip().upper()
    if subdivision is None and "-" in code:
        code, subdivision = code.split("-", 1)
    canonical = _canonical_codes()
    code = SHORT_NAMES.get(country.strip(), code)  # before every country's module is imported
    if code not in canonical:
        supported = _supported()
        names = {c: _country_name(c) for c in supported}
        by_name = {n.lower(): c for c, n in names.items()}
        named = by_name.get(country.strip().lower()) or _named_in_users_language(country.strip(), supported)
        if named is not None:
            code = named
        else:
            close = _closest(country, supported, names) or _named_in_part(country.strip(), supported)
            if close:
                raise UnknownCountry(
                    _(
                        "unknown country %(value)s (closest: %(codes)s; %(hint)s)",
                        value=repr(country),
                        codes=joined(close),
                        hint=_(LIST_HINT),
                    )
                )
            raise UnknownCountry(
                _("unknown country %(value)s (%(hint)s)", value=repr(country), hint=_(LIST_HINT))
            )
    # An alias such as "UK" or "GBR": the canonical code, so caches and output agree.
    code = canonical.get(code, code)
    if subdivision is None or subdivision == "":
        return code, None
    cls = holiday_class(code)
    valid = tuple(cls.subdivisions)
    sub = subdivision.strip()
    if sub.upper() in valid:
        return code, sub.upper()
    aliases: Mapping[str, str] = getattr(cls, "subdivisions_aliases", {})
    for alias, target in aliases.items():
        if alias.lower() == sub.lower():
            return code, target
    if not valid:
        raise UnknownCountry(
            _(
                "country %(code)s has no subdivisions, got %(value)s (%(hint)s)",
                code=code,
                value=repr(subdivision),
                hint=_(LIST_HINT),
            )
        )
    close = _closest(sub, valid, {v: a for a, v in aliases.items()})
    values = {
        "value": repr(subdivision),
        "code": code,
        # The first twelve, and "…" when there are more: `reminder countries CODE` lists them all.
        "codes": joined(close or (*valid[:12], *(("…",) if len(valid) > 12 else ()))),
        "hint": _(LIST_HINT),
    }
    if close:
        raise UnknownCountry(
            _("unknown subdivision %(value)s of %(code)s (closest: %(codes)s; %(hint)s)", **values)
        )
    raise UnknownCountry(
        _("unknown subdivision %(value)s of %(code)s (valid: %(codes)s; %(hint)s)", **values)
    )


@lru_cache(maxsize=1024)
def validated(country: str, subdivision: str | None) -> tuple[str, str | None]:
    cache, key = holiday_cache(), f"valid {country}" + ("" if subdivision is None else f" {subdivision}")
    found = cache.get(key) if cache is not None else None
    if isinstance(found, list) and len(found) == 2 and isinstance(found[0], str):
        return found[0], None if found[1] is None else str(found[1])
    code, sub = _validate(country, subdivision)  # only a valid pair is kept
    if cache is not None:
        cache.put(key, [code, sub])
    return code, sub


def list_countries() -> list[CountryInfo]:
    """Every country the calendar supports, with its name, weekend and subdivisions."""
    out: list[CountryInfo] = []
    for code in sorted(_supported()):
        cls = holiday_class(code)
        aliases: Mapping[str, str] = getattr(cls, "subdivisions_aliases", {})
        names = {target: alias for alias, target in aliases.items()}
        weekend = tuple(WEEKDAY_NAMES[d] for d in sorted(getattr(cls, "weekend", ())))
        subs = {s: names.get(s, s) for s in cls.subdivisions}
        out.append(CountryInfo(code=code, name=_country_name(code), weekend=weekend, subdivisions=subs))
    return out
