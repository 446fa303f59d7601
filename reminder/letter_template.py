"""A letter's template rendered: its subject and its body, an HTML fragment, in a sandbox.

One template per letter and language (``templates/letters/<lang>/<to>.html.j2``) writes
the letter's prose once, as a small HTML body — paragraphs, headings, lists, tables, line
breaks, bold — with every fact escaped by Jinja2's autoescape. :func:`render` fills it in
with a letter's facts (``letters.build_facts``) and returns a :class:`Rendered`; the
formats it is then written in (text, Markdown, HTML, e-mail, PDF) are ``letter_render.py``'s.

Templates run in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`: a user may
override any of them by dropping a file with the same relative name under
``<config dir>/templates/letters/``, and such a file can read the letter's facts but not
reach Python's internals (``''.__class__``, a function's ``__globals__``); it is refused
with an :class:`~reminder.errors.InputError` naming the file. Dates are written as the
letter's language writes them (:mod:`reminder.i18n`), which is the recipient's, never the
user's.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .i18n import _, gettext_for

if TYPE_CHECKING:
    from .letters import LetterFacts

__all__ = [
    "SHIPPED_TEMPLATES",
    "USER_TEMPLATE_DIR",
    "Rendered",
    "render",
    "template_name",
]

SHIPPED_TEMPLATES = Path(__file__).parent / "templates" / "letters"
# Under the config file's directory: <config dir>/templates/letters/<lang>/<to>.html.j2
USER_TEMPLATE_DIR = Path("templates") / "letters"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A letter rendered from its template: the subject, the HTML body, and the blanks it shows."""

    subject: str
    body: str  # an HTML fragment: what goes inside <body>
    lang: str
    dir: str
    template: str  # the file it came from (a user's override or the shipped one)
    missing: tuple[str, ...] = ()


def template_name(lang: str, to: str) -> str:
    return f"{lang}/{to}.html.j2"


# --- the template ----------------------------------------------------------------------------------


def _direction(text: str) -> str:
    """``ltr`` or ``rtl``: the direction of ``text``'s first letter (``ltr`` when it has none:
    digits, ``+``, ``@``), as the bidirectional algorithm picks a paragraph's: skipping what an
    isolate holds (``letter_channels``' "\u2068WhatsApp\u2069، الهاتف" is right to left)."""
    isolated = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("FSI", "LRI", "RLI"):
            isolated += 1
        elif kind == "PDI":
            isolated = max(isolated - 1, 0)
        elif isolated:
            continue
        elif kind == "L":
            return "ltr"
        elif kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def _filters(lang: str, direction: str = "ltr") -> dict[str, Callable[..., Any]]:
    from markupsafe import Markup, escape

    tr = gettext_for(lang)

    # A run in its own direction, isolated from the text around it. WeasyPrint honours the dir
    # attribute (each element its own run) but neither unicode-bidi nor dir="auto", so the
    # direction is written out; a browser isolates <bdi> and [dir] itself.
    def ltr(value: object) -> Markup:
        """Always left to right: a phone number, an address, a hash, an ISO date."""
        return Markup('<bdi dir="ltr">%s</bdi>') % escape(value)

    def isolate(value: object) -> Markup:
        """Text someone typed, in the direction of its first letter (Chinese or English: left
        to right, Arabic: right to left)."""
        shown = escape(value)
        return Markup('<bdi dir="%s">%s</bdi>') % (_direction(shown.striptags()), shown)

    def day(d: date) -> str:
        return tr.format_date(d)

    def dated(d: date) -> str:
        # The language's way, and ISO for a reader who copies it (English already shows it).
        text = tr.format_date(d)
        if d.isoformat() in text:
            return text
        if lang == "zh_CN":
            return f"{text}（{d.isoformat()}）"
        if direction == "rtl":  # after Arabic letters, 2026-04-20 would read 20-04-2026
            return escape(text) + Markup(" (") + ltr(d.isoformat()) + Markup(")")
        return f"{text} ({d.isoformat()})"

    def stamp(dt: datetime) -> str:
        offset = dt.strftime("%z")
        return f"{dt:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}" if offset else f"{dt:%Y-%m-%d %H:%M}"

    return {
        "day": day,
        "dated": dated,
        "iso": lambda d: d.isoformat(),
        "when": lambda dt: tr.format_datetime(dt),
        "stamp": stamp,
        "short_hash": lambda h: str(h)[:16],
        "ltr": ltr,
        "isolate": isolate,
    }


def _environment(user_dir: Path | None, lang: str, direction: str = "ltr") -> Any:
    # Jinja2 loads only when a letter is written (it is not needed by any other command).
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    paths = [str(user_dir)] if user_dir is not None and user_dir.is_dir() else []
    env = SandboxedEnvironment(
        loader=FileSystemLoader([*paths, str(SHIPPED_TEMPLATES)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(_filters(lang, direction))
    return env


def render(facts: LetterFacts, *, user_dir: Path | None = None) -> Rendered:
    """Render the letter ``facts`` describe with its template (``user_dir``'s override first).

    The template sets ``subject`` at its top level; what it prints is the body. Raises
    InputError (one line naming the template file) for a syntax error, an unknown variable,
    an attempt to reach Python internals, or any other error inside the template.
    """
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError
    from jinja2.exceptions import SecurityError

    name = template_name(facts.lang, facts.to)
    env = _environment(user_dir, facts.lang, facts.dir)
    where = name
    try:
        template = env.get_template(name)
        where = template.filename or name
        module = template.make_module(facts.variables())
        body = str(module)
        subject_markup = getattr(module, "subject", None)
    except TemplateNotFound:
        raise InputError(f"no letter template {name} (in {SHIPPED_TEMPLATES})") from None
    except TemplateSyntaxError as exc:
        raise InputError(
            f"{exc.filename or where}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except SecurityError as exc:
        raise InputError(
            _(
                "%(file)s: refused: the template tried to reach Python internals (%(why)s)",
                file=where,
                why=exc,
            )
        ) from None
    except TemplateError as exc:
        raise InputError(_("%(file)s: the template failed: %(why)s", file=where, why=exc)) from None
    except Exception as exc:  # a filter given the wrong thing by a user's template
        raise InputError(
            _("%(file)s: the template failed: %(why)s", file=where, why=f"{type(exc).__name__}: {exc}")
        ) from None
    subject = _inline_text(str(subject_markup)) if subject_markup is not None else ""
    if facts.lang == "zh_CN":
        body, subject = _space_cjk(body), _space_cjk(subject)
    return Rendered(
        subject=subject or facts.case.request,
        body=body.strip() + "\n",
        lang=facts.lang,
        dir=facts.dir,
        template=where,
        missing=tuple(facts.missing()),
    )


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_DATE_UNITS = "年月日号时分秒"
# Between a Chinese character and a Latin letter or digit, but not a digit and 年/月/日 (dates are
# written 2026年3月1日): GLOSSARY.md's rule, "还剩 3 个工作日", "编号：BT-48213". Both sides are
# zero-width, so one character between two numbers is spaced on both ("7 至 15"); a "+" before a
# digit starts a telephone number ("为 +973").
_HAN_LATIN = re.compile(
    f"(?<=[{_HAN}])(?<![{_DATE_UNITS}])(?=[A-Za-z0-9]|\\+[0-9])"  # 通过 hotline
    f"|(?<=[A-Za-z0-9])(?=[{_HAN}])(?![{_DATE_UNITS}])"  # hotline 向
)
_TAG = re.compile(r"(<[^>]*>)")


def _space_cjk(text: str) -> str:
    """A space between Chinese and Latin letters or digits, as the glossary writes them, in the
    text of ``text`` (not inside its tags); never next to full-width punctuation."""
    parts = _TAG.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = _HAN_LATIN.sub(" ", parts[i])
    return "".join(parts)


def _inline_text(fragment: str) -> str:
    """An HTML fragment (the subject) as one line of plain text."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", fragment)).split())
