"""The texts of reminder's data files, in the reader's language: what a regulator requires first,
its time limit, its notes and its source (data/regulators.toml), the source of an official
closure (data/overrides/*.toml) and a country's days-in-lieu rule (overrides.py).

The files stay English; ``babel.cfg`` extracts their texts with the extractors of shipped.py, and
:func:`reminder.shipped.data_text` translates them where a person reads them. A regulator or an
override added without a Chinese translation fails here, naming the text; a translation that
drops an address (a URL the person opens) fails too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from babel.messages.frontend import parse_mapping_cfg
from babel.util import pathmatch
from conftest import REPO
from english_leaks import english_leaks

from reminder import shipped
from reminder.overrides import load_overrides
from reminder.regulators import load_regulators

DATA = REPO / "reminder" / "data"
OVERRIDES = sorted((DATA / "overrides").glob("*.toml"))
URL = re.compile(r"https?://[^\s()（）；，]+")
# What stays Latin in the Chinese of these texts: names the person looks up as written, and an option.
NAMES = {"Ombudsman Services: Communications", "Ofcom", "Nafath", "BfDI", "--regulator eu-dpa"}


def shown_texts() -> set[str]:
    """Every data text the program shows a person: the regulators', the overrides', the rules'."""
    texts: set[str] = set()
    for r in load_regulators().values():
        texts |= {t for t in (r.requires_first, r.time_limit, *r.notes, r.source) if t}
    for path in OVERRIDES:
        overrides = load_overrides(path.stem)
        assert overrides is not None
        texts |= {e.source for e in overrides.entries}
        texts |= {overrides.rule_source} if overrides.rule_source else set()
    return texts


def extracted() -> set[str]:
    """The texts the extractors of babel.cfg take from the data files."""
    found: set[str] = set()
    with (DATA / "regulators.toml").open("rb") as f:
        found |= {message for _line, _func, message, _comments in shipped.extract_regulators(f, (), (), {})}
    for path in OVERRIDES:
        with path.open("rb") as f:
            found |= {
                message for _line, _func, message, _comments in shipped.extract_overrides(f, (), (), {})
            }
    return found


def translation_problems(texts: Iterable[str], translate: Callable[[str], str]) -> list[str]:
    """What is wrong with the translation of each text: English left in it, an address dropped."""
    out = []
    for text in sorted(texts):
        got = translate(text)
        leaks = english_leaks(got, allow=NAMES)
        if leaks:
            out.append(f"{text!r}: not translated (reminder/locale/zh_CN/LC_MESSAGES/reminder.po): {leaks}")
        lost = [url for url in URL.findall(text) if url not in URL.findall(got)]
        if lost:
            out.append(f"{text!r}: the translation lost {lost}")
    return out


def test_babel_cfg_extracts_the_data_files() -> None:
    with (REPO / "babel.cfg").open(encoding="utf-8") as f:
        method_map, _options = parse_mapping_cfg(f)

    def method(path: Path) -> str:
        name = path.relative_to(REPO).as_posix()
        return next(m for pattern, m in method_map if pathmatch(pattern, name))

    assert method(DATA / "regulators.toml") == "reminder.shipped.extract_regulators"
    assert OVERRIDES and {method(p) for p in OVERRIDES} == {"reminder.shipped.extract_overrides"}


def test_every_text_shown_is_extracted_but_a_bare_address() -> None:
    rules = {o.rule_source for p in OVERRIDES if (o := load_overrides(p.stem)) is not None}
    # The rules are Python's (overrides.py), marked there; a source that is only addresses is no text.
    left = shown_texts() - extracted() - rules
    assert left and all(not URL.sub("", t).strip(" ;") for t in left), left
    assert load_regulators()["bh-tra"].requires_first in extracted()


def test_every_text_shown_reads_in_chinese() -> None:
    assert translation_problems(shown_texts(), lambda t: shipped.data_text(t, "zh_CN")) == []


def test_the_translations_suggested_for_bahrain() -> None:
    tra = load_regulators()["bh-tra"]
    assert tra.time_limit is not None and shipped.data_text(tra.time_limit, "zh_CN") == (
        "自向服务商投诉之日起 12 个月内。"
    )
    bh = load_overrides("BH")
    assert bh is not None and shipped.data_text(bh.rule_source, "zh_CN").startswith("首相假期通告的惯例（")


def test_english_and_texts_not_shipped_stay_as_written() -> None:
    tra = load_regulators()["bh-tra"]
    assert tra.requires_first is not None
    assert shipped.data_text(tra.requires_first, "en") == tra.requires_first
    # A source an older version of the files wrote into a stored window: as written.
    assert shipped.data_text("circular of 1440, read in 2019", "zh_CN") == "circular of 1440, read in 2019"
    assert shipped.data_text("", "zh_CN") == ""


def test_the_check_finds_english_and_a_lost_address() -> None:
    text = "See the list: https://example.org/members"
    assert translation_problems([text], lambda t: t)[0].startswith(f"{text!r}: not translated")
    assert "lost ['https://example.org/members']" in translation_problems([text], lambda t: "见名单。")[0]
    assert translation_problems([text], lambda t: "见名单：https://example.org/members") == []
