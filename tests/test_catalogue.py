"""The translation catalogues: every message in the code translated, placeholders intact.

The messages are extracted from reminder/ with Babel exactly as ``pybabel extract -F
babel.cfg`` does (README: Development); the zh_CN catalogue must translate each one, keep
every named placeholder (``%(name)s``) of the English, and add none. The checks themselves
are tested on catalogues made here, so a check that can never fail would show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import REPO

from reminder.i18n import LANGUAGES, SOURCE_LANGUAGE

LOCALE = REPO / "reminder" / "locale"
# A placeholder: %(name)s, %(n)d, %(amount).2f … (named: a translator may reorder them).
NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
# Positional %s/%d, which a translator cannot reorder.
POSITIONAL = re.compile(r"%[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
# str.format's {name}: the other style, not used here (one style, so a message is filled one way).
BRACES = re.compile(r"\{\w*\}")
# The command line's own messages (reminder/cmdline, listed in cli_help.py), filled with str.format.
CLI = "cli"
CLI_FIELDS = re.compile(r"\{(\w*)(?:![rsa])?\}")

Msgid = str | tuple[str, str]
Key = tuple[Msgid, str | None]  # (msgid or (singular, plural), context)


def code_messages() -> dict[Key, list[str]]:
    """Every message marked in reminder/, with where it is: {(msgid, context): ["file:line", …]}."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(REPO), method_map, options_map, strip_comment_tags=True
    ):
        msgid: Msgid = (message[0], message[1]) if isinstance(message, tuple) else message
        found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in NAMED.finditer(text))


def _key(msgid: object, context: str | None) -> Key:
    if isinstance(msgid, list | tuple):
        return ((str(msgid[0]), str(msgid[1])), context)
    return (str(msgid), context)


def style_problems(messages: Iterable[Key]) -> list[str]:
    """Messages that do not use named %(name)s placeholders only."""
    out = []
    for msgid, context in messages:
        if context == CLI:
            continue  # str.format's style; their fields are checked by translation_problems
        for text in msgid if isinstance(msgid, tuple) else (msgid,):
            rest = NAMED.sub("", text).replace("%%", "")
            if POSITIONAL.search(rest):
                out.append(f"{text!r}: use named placeholders, %(name)s, so a translation can reorder them")
            elif NAMED.search(text) and "%" in rest:
                out.append(f"{text!r}: a literal % in a message with placeholders is written %%")
            if BRACES.search(text):
                out.append(f"{text!r}: use %(name)s, not {{name}}: messages are filled with %")
    return out


def translation_problems(messages: Iterable[Key], catalogue: Catalog) -> list[str]:
    """What is missing or broken in ``catalogue`` for ``messages``."""
    out = []
    for key in messages:
        msgid, context = key
        singular = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalogue.get(singular, context)
        if entry is None:
            out.append(f"{singular!r}: not in the catalogue")
            continue
        if entry.fuzzy:
            out.append(f"{singular!r}: fuzzy (a guess by `pybabel update`; check it, then drop the flag)")
            continue
        if isinstance(msgid, tuple) != entry.pluralizable:
            out.append(f"{singular!r}: plural in one place, not in the other")
            continue
        forms = list(entry.string) if isinstance(entry.string, tuple | list) else [entry.string]
        # The forms of a language with one plural form (Chinese) are used for every n.
        expected = _placeholders(msgid[-1] if isinstance(msgid, tuple) else msgid)
        for form in forms:
            if not form:
                out.append(f"{singular!r}: not translated")
                continue
            if context == CLI:
                # Every field of a message (singular and plural) is passed to str.format.
                fields = set().union(
                    *(CLI_FIELDS.findall(t) for t in (msgid if isinstance(msgid, tuple) else (msgid,)))
                )
                unknown = set(CLI_FIELDS.findall(form)) - fields
                if unknown:
                    out.append(
                        f"{singular!r}: fields {sorted(unknown)} are not the message's, {sorted(fields)} are"
                    )
            got = _placeholders(form)
            if got != expected:
                out.append(f"{singular!r}: placeholders {got} in the translation, {expected} in the English")
                continue
            try:
                form % {name: 1 for name in NAMED.findall(form)}
            except (TypeError, ValueError) as exc:
                out.append(f"{singular!r}: the translation cannot be filled ({exc}): {form!r}")
    return out


def stale_problems(messages: Iterable[Key], catalogue: Catalog, what: str) -> list[str]:
    """Entries of ``catalogue`` no longer in the code (run `pybabel update`), and code messages it lacks."""
    in_code = {(m[0] if isinstance(m, tuple) else m, c) for m, c in messages}
    in_file = {
        (str(e.id[0] if isinstance(e.id, list | tuple) else e.id), e.context) for e in catalogue if e.id
    }
    return [f"{what}: {m!r} is not in the code any more" for m, _ in sorted(in_file - in_code, key=str)] + [
        f"{what}: {m!r} is missing (extract again)" for m, _ in sorted(in_code - in_file, key=str)
    ]


# --- the real catalogues -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messages() -> dict[Key, list[str]]:
    return code_messages()


def test_the_code_marks_messages(messages: dict[Key, list[str]]) -> None:
    # Guards the extraction itself: if it found nothing, every check below would pass.
    assert (("unknown language %(value)s; use one of: %(choices)s", None)) in messages


def test_messages_use_named_placeholders(messages: dict[Key, list[str]]) -> None:
    assert style_problems(messages) == []


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_every_message_is_translated(messages: dict[Key, list[str]], lang: str) -> None:
    catalogue = read_catalogue(LOCALE / lang / "LC_MESSAGES" / "reminder.po")
    assert catalogue.locale is not None and str(catalogue.locale) in (lang, "zh_Hans_CN")
    problems = translation_problems(messages, catalogue)
    where = {repr(m[0] if isinstance(m, tuple) else m): places for (m, _c), places in messages.items()}
    located = [
        f"{p} ({', '.join(next((v for k, v in where.items() if p.startswith(k)), []))})" for p in problems
    ]
    assert problems == [], "\n".join(located)
    assert stale_problems(messages, catalogue, f"{lang}/reminder.po") == []


def test_the_template_is_current(messages: dict[Key, list[str]]) -> None:
    assert stale_problems(messages, read_catalogue(LOCALE / "reminder.pot"), "reminder.pot") == []


# --- the checks can fail -------------------------------------------------------------------------------


def _catalogue(entries: Sequence[tuple[object, object, str | None]], fuzzy: bool = False) -> Catalog:
    c = Catalog(locale="zh_CN")
    for msgid, msgstr, context in entries:
        c.add(msgid, msgstr, context=context, flags=("fuzzy",) if fuzzy else ())  # type: ignore[arg-type]
    return c


MESSAGE: Key = ("%(n)d days left until %(day)s", None)
PLURAL: Key = (("%(n)d entry", "%(n)d entries"), None)


@pytest.mark.parametrize(
    ("msgstr", "problem"),
    [
        ("还剩 %(n)d 天，截止 %(day)s", None),
        ("截止 %(day)s，还剩 %(n)d 天", None),  # reordered: what named placeholders are for
        ("还剩几天，截止 %(day)s", "placeholders ['%(day)s'] in the translation"),  # dropped
        ("还剩 %(count)d 天，截止 %(day)s", "placeholders ['%(count)d', '%(day)s']"),  # renamed
        ("还剩 %(n)s 天，截止 %(day)s", "placeholders ['%(day)s', '%(n)s']"),  # another conversion
        ("还剩 %(n)d 天，截止 %(day)s %(day)s", "placeholders"),  # repeated
        ("还剩 %(n)d 天 100%，截止 %(day)s", "cannot be filled"),  # a stray %
        ("", "not translated"),
    ],
)
def test_translation_problems_are_found(msgstr: str, problem: str | None) -> None:
    found = translation_problems([MESSAGE], _catalogue([(MESSAGE[0], msgstr, None)]))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0]


def test_missing_fuzzy_plural_and_context_problems_are_found() -> None:
    assert "not in the catalogue" in translation_problems([MESSAGE], _catalogue([]))[0]
    fuzzy = _catalogue([(MESSAGE[0], "还剩 %(n)d 天，截止 %(day)s", None)], fuzzy=True)
    assert "fuzzy" in translation_problems([MESSAGE], fuzzy)[0]
    assert translation_problems([PLURAL], _catalogue([(PLURAL[0], ("%(n)d 条",), None)])) == []
    assert "placeholders" in translation_problems([PLURAL], _catalogue([(PLURAL[0], ("若干条",), None)]))[0]
    assert "plural" in translation_problems([PLURAL], _catalogue([("%(n)d entry", "%(n)d 条", None)]))[0]
    in_context: Key = ("Case", "column")
    assert (
        "not in the catalogue" in translation_problems([in_context], _catalogue([("Case", "事项", None)]))[0]
    )
    assert translation_problems([in_context], _catalogue([("Case", "事项", "column")])) == []


def test_style_and_staleness_problems_are_found() -> None:
    assert style_problems([("%(n)d days, %(day)s", None), ("100% sure", None), ("%(n)d%% sure", None)]) == []
    assert "written %%" in style_problems([("%(n)d% sure", None)])[0]
    assert "named placeholders" in style_problems([("%d days", None)])[0]
    assert "named placeholders" in style_problems([("%s and %(day)s", None)])[0]
    assert "not {name}" in style_problems([("{n} days", None)])[0]
    catalogue = _catalogue([("Old text", "旧", None)])
    problems = stale_problems([("New text", None)], catalogue, "x.po")
    assert problems == [
        "x.po: 'Old text' is not in the code any more",
        "x.po: 'New text' is missing (extract again)",
    ]


def test_command_line_messages_keep_their_fields() -> None:
    # The command line's messages are in str.format's style ({name}); a translation may only use their fields.
    key: Key = ("No such option {name!r}.", "cli")
    assert style_problems([key]) == []
    good = _catalogue([(key[0], "没有选项 {name!r}。", "cli")])
    assert translation_problems([key], good) == []
    bad = _catalogue([(key[0], "没有选项 {option}。", "cli")])
    assert "not the message's" in translation_problems([key], bad)[0]
