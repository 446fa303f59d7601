"""Regulators and letter defaults, from the shipped data (``data/regulators.toml``, ``data/letters.toml``).

A :class:`Regulator` is who a complaint goes to when an organisation does not deal with
a request: Bahrain's TRA, a UK ADR scheme, China's MIIT complaint centre, a data-protection
authority. Each fact carries the address of the page it comes from
(:meth:`Regulator.source_of`); a fact that could not be verified is ``None``, and a letter
shows a visible blank for it.

:func:`choose` picks the regulator for a case: its sector comes from the case's escalation
preset or kind (:func:`sector_of`), its country from the case, and where a country has
several (the UK's two ADR schemes) the organisation's name decides, from the schemes'
published member lists. A case of no known sector goes to a regulator only when its
organisation is on that regulator's list (Bahrain's operators). Nothing is guessed: when
that does not settle it, the caller gets :class:`~reminder.errors.InputError` saying what to
do (the case's preset, or ``--regulator`` naming one).

The files are read once per process; nothing here touches the store or the clock.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError
from .i18n import KNOWN_LANGUAGES, _, alternatives, joined, normalise_language

__all__ = [
    "FACT_FIELDS",
    "FORM_PARTS",
    "SECTORS",
    "LetterDefaults",
    "Regulator",
    "choose",
    "country_language",
    "letter_defaults",
    "load_regulators",
    "sector_of",
]

SECTORS = ("telecom", "data-protection")
# The parts of a complaint a regulator's form asks for; a regulator letter is laid out along them.
FORM_PARTS = (
    "complainant",
    "operator",
    "account",
    "request",
    "prior_complaint",
    "follow_up",
    "demand",
    "timeline",
    "attachments",
)
# Facts that need a source when present.
FACT_FIELDS = (
    "name",
    "short",
    "name_local",
    "web",
    "phone",
    "email",
    "postal",
    "requires_first",
    "time_limit",
    "members",
    "notes",
)
_TEXT_FIELDS = ("name", "short", "name_local", "name_local_lang", "web", "phone", "email", "postal")
_ALLOWED = {
    *_TEXT_FIELDS,
    "country",
    "sector",
    "requires_first",
    "time_limit",
    "language",
    "form",
    "asks_address",
    "members",
    "notes",
    "source",
    "sources",
}


@dataclass(frozen=True, slots=True)
class Regulator:
    """One regulator (or ADR scheme, or data-protection authority); ``None``: not verified."""

    id: str
    country: str  # "*": any country, the fallback of its sector
    sector: str
    source: str
    name: str | None = None
    short: str | None = None
    name_local: str | None = None
    name_local_lang: str | None = None
    web: str | None = None
    phone: str | None = None
    email: str | None = None
    postal: str | None = None
    requires_first: str | None = None
    time_limit: str | None = None
    language: str | None = None
    form: tuple[str, ...] = FORM_PARTS
    asks_address: bool = False
    members: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def source_of(self, fact: str) -> str:
        """Where ``fact`` (a field name) comes from."""
        return self.sources.get(fact, self.source)

    def name_in(self, lang: str) -> str | None:
        """The name a letter in ``lang`` uses: the local one when it is written in that language."""
        if self.name_local and self.name_local_lang == lang:
            return self.name_local
        return self.name

    def has_member(self, organisation: str) -> bool:
        """Whether ``organisation`` is on the scheme's member list ("Vodafone UK" matches "Vodafone")."""
        words = organisation.casefold().split()
        for member in self.members:
            m = member.casefold().split()
            if any(words[i : i + len(m)] == m for i in range(len(words) - len(m) + 1)):
                return True
        return False


@dataclass(frozen=True, slots=True)
class LetterDefaults:
    default_language: str
    languages: Mapping[str, str]
    reply_business_days: int


def _read(name: str) -> dict[str, Any]:
    text = resources.files("reminder").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _language(value: object, where: str) -> str:
    found = normalise_language(str(value), KNOWN_LANGUAGES)
    if found is None:
        raise ValueError(f"{where}: {value!r} is not a letter language ({', '.join(KNOWN_LANGUAGES)})")
    return found


def _regulator(rid: str, raw: Mapping[str, Any]) -> Regulator:
    where = f"data/regulators.toml: regulators.{rid}"
    unknown = set(raw) - _ALLOWED
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("sector") not in SECTORS:
        raise ValueError(f"{where}.sector: {raw.get('sector')!r} is not one of {', '.join(SECTORS)}")
    form = tuple(raw.get("form", FORM_PARTS))
    bad = [p for p in form if p not in FORM_PARTS]
    if bad:
        raise ValueError(f"{where}.form: unknown part(s) {', '.join(bad)}")
    sources = dict(raw.get("sources", {}))
    if set(sources) - set(FACT_FIELDS):
        raise ValueError(f"{where}.sources: not a fact: {', '.join(sorted(set(sources) - set(FACT_FIELDS)))}")
    lang = raw.get("language")
    local_lang = raw.get("name_local_lang")  # may be a language letters are not written in ("de")
    return Regulator(
        id=rid,
        country=str(raw["country"]).upper(),
        sector=raw["sector"],
        source=str(raw["source"]),
        **{k: str(raw[k]) for k in _TEXT_FIELDS if k in raw and k != "name_local_lang"},
        name_local_lang=str(local_lang) if local_lang else None,
        requires_first=raw.get("requires_first"),
        time_limit=raw.get("time_limit"),
        language=_language(lang, f"{where}.language") if lang else None,
        form=form,
        asks_address=bool(raw.get("asks_address", False)),
        members=tuple(raw.get("members", ())),
        notes=tuple(raw.get("notes", ())),
        sources=sources,
    )


@lru_cache(maxsize=1)
def load_regulators() -> Mapping[str, Regulator]:
    """Every shipped regulator by id (``bh-tra``, ``gb-cisas``, …)."""
    data = _read("regulators.toml")
    return {rid: _regulator(rid, raw) for rid, raw in data["regulators"].items()}


@lru_cache(maxsize=1)
def _sectors() -> tuple[Mapping[str, str], Mapping[str, str]]:
    data = _read("regulators.toml").get("sectors", {})
    return dict(data.get("presets", {})), dict(data.get("kinds", {}))


@lru_cache(maxsize=1)
def letter_defaults() -> LetterDefaults:
    data = _read("letters.toml")
    return LetterDefaults(
        default_language=_language(data["default_language"], "data/letters.toml: default_language"),
        languages={
            k.upper(): _language(v, f"data/letters.toml: languages.{k}") for k, v in data["languages"].items()
        },
        reply_business_days=int(data["reply_business_days"]),
    )


def country_language(country: str) -> str:
    """The language letters to an organisation in ``country`` default to."""
    d = letter_defaults()
    return d.languages.get(country.upper(), d.default_language)


def sector_of(preset: str | None, kind: str) -> str | None:
    """The sector a case belongs to, from its escalation preset, else its kind; None: unknown."""
    presets, kinds = _sectors()
    return (presets.get(preset) if preset else None) or kinds.get(kind)


def choose(
    country: str,
    sector: str | None,
    organisation: str,
    *,
    regulator_id: str | None = None,
    regulators: Mapping[str, Regulator] | None = None,
) -> Regulator:
    """The regulator for a case in ``country`` of ``sector`` with ``organisation``.

    ``regulator_id`` names one outright. Otherwise: the country's regulators of the sector
    (those of the sector's ``"*"`` fallback when the country has none); several are told
    apart by their member lists. Without a sector, only a regulator whose member list names
    the organisation (Bahrain's TRA for Batelco): a visa or a shop's refund is not the
    telecom regulator's business because it is the only regulator the country has here.
    Anything else is an InputError that says what to do.
    """
    known = load_regulators() if regulators is None else regulators
    if regulator_id is not None:
        found = known.get(regulator_id.strip().lower())
        if found is None:
            from .lookalikes import closest

            guesses = closest(regulator_id.strip(), sorted(known))
            if guesses:
                raise InputError(
                    _(
                        "unknown regulator %(id)s; did you mean %(guesses)s?",
                        id=repr(regulator_id),
                        guesses=alternatives(guesses),
                    )
                )
            raise InputError(
                _(
                    "unknown regulator %(id)s; known: %(ids)s",
                    id=repr(regulator_id),
                    ids=joined(sorted(known)),
                )
            )
        return found
    country = country.upper()
    if sector is None:
        here = [r for r in known.values() if r.country == country and r.has_member(organisation)]
        if len(here) == 1:
            return here[0]
        if not here:
            raise InputError(
                _(
                    "no regulator is known for this kind of case in %(country)s: for a telecom or "
                    "data-protection case, say so with 'reminder edit ID --preset telecom' (or gdpr); "
                    "for another, name the regulator with --regulator ID (%(ids)s) or write to it yourself",
                    country=country,
                    ids=joined(sorted(known)),
                )
            )
    else:
        here = [r for r in known.values() if r.country == country and r.sector == sector]
    if not here and sector is not None:
        here = [r for r in known.values() if r.country == "*" and r.sector == sector]
    if len(here) > 1:
        members = [r for r in here if r.has_member(organisation)]
        if len(members) == 1:
            return members[0]
    if len(here) == 1:
        return here[0]
    if here:
        raise InputError(
            _(
                "several regulators fit a case in %(country)s with %(org)s: %(ids)s; "
                "name one with --regulator ID",
                country=country,
                org=repr(organisation),
                ids=joined(r.id for r in here),
            )
        )
    raise InputError(
        _(
            "no %(sector)s regulator is known for %(country)s; name one with --regulator ID (%(ids)s)",
            sector=sector,
            country=country,
            ids=joined(sorted(known)),
        )
    )
