"""What a reminder says: the situation as of *now* and the next step to take.

Pure. A message is rendered when it is sent, not when it is planned, so a
reminder that went out late (the machine was off) still tells the truth: "the
deadline passed 12 days ago — escalate", never a stale "the window opens today".
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from . import i18n
from .evidence import corrections_of, head_witness, sent_letter_to, summary_for_people
from .explain import tentative_name
from .i18n import _, ngettext, pgettext
from .labels import channels, evidence_kind, join
from .message import Message
from .models import Case, EvidenceEntry, ReviewWindow
from .shipped import localised

__all__ = ["render_message", "short_body", "situation"]

_URGENCY = {
    "before_open": "low",
    "opened": "normal",
    "before_deadline": "normal",
    "deadline": "critical",
    "escalation": "critical",
}


# Stand for the values a template leaves open (see _texts); no text reminder fills in holds them.
_OPEN = "\x00"
_TITLE = "\x01"


@functools.lru_cache(maxsize=8)
def _texts(lang: str) -> dict[str, str]:
    """The fixed texts and the templates of a message in ``lang``, looked up once: a catch-up
    renders 10,000 messages, and a catalogue lookup per text made English 60% slower.

    Templates are filled with ``%`` (their ``%(name)s`` are what the catalogue checks); one
    with a single value is kept with :data:`_OPEN` in its place and filled with ``replace``.
    """
    with i18n.using_language(lang):
        return {
            "subject": _("%(title)s: %(headline)s", title=_TITLE, headline=_OPEN),
            "first_line": _("%(title)s — %(headline)s.", title=_TITLE, headline=_OPEN),
            "tentative_day": _("%(day)s (tentative)", day=_OPEN),
            "case_id": _("%(id)s (reminder show %(id)s)", id=_OPEN),
            "because": _("%(name)s %(day)s"),
            "estimated": _("estimated holiday dates"),
            "evidence_row": _("%(day)s %(kind)s: %(summary)s"),
            "next_step_colon": _("Next step:"),
            "close": _("When you have the decision: reminder close %(id)s --resolution '…'", id=_OPEN),
            "next_step_html": html.escape(_("Next step")),
            "none_yet_html": html.escape(_("none yet")),
            "so_far_html": _("Evidence so far (%(n)d)"),
            "next": _("Next: %(step)s", step=_OPEN),
            "deadline_today": _("Deadline today, %(day)s", day=_OPEN),
            "today_is_deadline": _("today (%(day)s) is the deadline", day=_OPEN),
            "step_before_open": _(
                "Nothing to do yet. Keep your phone number and contact details unchanged while the request "
                "is under review."
            ),
            "step_open": _(
                "A decision may come any day now: check the status with the organisation, and log what "
                "they say as evidence (reminder evidence add)."
            ),
            # The commands name the case (filled in by render_message): copied and run as they are.
            "step_deadline": _(
                "If no decision has come, contact the organisation today quoting your reference, ask for a "
                "written answer, and log the call or e-mail as evidence (reminder evidence add %(id)s).",
                id=_OPEN,
            ),
            "step_late": _(
                "Call again and ask for the case to be escalated; put the complaint in writing quoting your "
                "reference and the dates (reminder letter %(id)s --to organisation writes it); if that does "
                "not move it, go to the regulator or ombudsman with your evidence (reminder letter %(id)s "
                "--to regulator, reminder export %(id)s).",
                id=_OPEN,
            ),
        }


@functools.lru_cache(maxsize=8)
def _facts(lang: str) -> dict[str, tuple[str, str, str]]:
    """Per fact of a message: its line's text before and after the value, and its HTML row's
    start (the label escaped once, not once per message)."""
    with i18n.using_language(lang):
        labels = {
            "organisation": pgettext("reminder fact", "Organisation"),
            "submitted": pgettext("reminder fact", "Submitted"),
            "window_opens": pgettext("reminder fact", "Window opens"),
            "deadline": pgettext("reminder fact", "Deadline"),
            "reference": pgettext("reminder fact", "Reference"),
            "contact": pgettext("reminder fact", "Contact"),
            "case": pgettext("reminder fact", "Case"),
            "tentative_because": pgettext("reminder fact", "Tentative because"),
        }
        out = {}
        for key, label in labels.items():
            before, _open, after = _("%(label)s: %(value)s", label=label, value=_OPEN).partition(_OPEN)
            out[key] = (before, after, f"<tr><th align='left'>{html.escape(label)}</th><td>")
        return out


# Formatted dates and counted forms a language object keeps; a catch-up needs a few thousand.
_MEMO = 4096


class _Language:
    """A message's language: its texts (:func:`_texts`, :func:`_facts`), its dates and its
    counted forms, each worked out once — one per language, made by :func:`_language`."""

    __slots__ = ("_counted", "_dates", "facts", "lang", "texts")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.texts = _texts(lang)
        self.facts = _facts(lang)
        self._dates: dict[date, str] = {}
        self._counted: dict[tuple[str, int], str] = {}

    def date(self, d: date) -> str:
        found = self._dates.get(d)
        if found is None:
            if len(self._dates) >= _MEMO:
                self._dates.clear()
            found = self._dates[d] = i18n.format_date(d, self.lang, "day")
        return found

    def ngettext(self, singular: str, plural: str, n: int, /, day: str = "") -> str:
        """The form for ``n``, ``n`` filled in and ``day`` put in its place. Named as gettext's,
        so the extractor finds the messages it is given."""
        found = self._counted.get((singular, n))
        if found is None:
            if len(self._counted) >= _MEMO:
                self._counted.clear()
            tr = i18n.Translator(self.lang)
            found = self._counted[singular, n] = tr.ngettext(singular, plural, n, day=_OPEN)
        return found.replace(_OPEN, day) if day else found


# Languages are few (i18n.LANGUAGES); made once each, and used from the notifiers' threads,
# where a lost race only makes one twice.
_languages: dict[str, _Language] = {}


def _language(lang: str) -> _Language:
    found = _languages.get(lang)
    if found is None:
        found = _languages[lang] = _Language(lang)
    return found


def _fmt(d: date) -> str:
    """A date as messages write it, in the current language ("Sun 2026-12-20", "2026年12月20日 星期日")."""
    return _language(i18n.current_language()).date(d)


def situation(
    window: ReviewWindow, today: date, lang: str | None = None, case_id: str = "ID"
) -> tuple[str, str]:
    """(headline, next step) for where a case stands on ``today``, in ``lang`` (default: the
    current language); the step's commands name ``case_id``."""
    headline, step = _situation(window, today, _language(lang or i18n.current_language()))
    return headline, step.replace(_OPEN, case_id)


def _situation(window: ReviewWindow, today: date, tr: _Language) -> tuple[str, str]:
    t = tr.texts
    if today < window.opens:
        return (
            tr.ngettext(
                "the review window opens in %(n)d day (%(day)s)",
                "the review window opens in %(n)d days (%(day)s)",
                (window.opens - today).days,
                day=tr.date(window.opens),
            ),
            t["step_before_open"],
        )
    if today < window.deadline:
        return (
            tr.ngettext(
                "the review window is open; the deadline is in %(n)d day (%(day)s)",
                "the review window is open; the deadline is in %(n)d days (%(day)s)",
                (window.deadline - today).days,
                day=tr.date(window.deadline),
            ),
            t["step_open"],
        )
    if today == window.deadline:
        return t["today_is_deadline"].replace(_OPEN, tr.date(window.deadline)), t["step_deadline"]
    return (
        tr.ngettext(
            "the deadline passed %(n)d day ago (%(day)s) — escalate",
            "the deadline passed %(n)d days ago (%(day)s) — escalate",
            (today - window.deadline).days,
            day=tr.date(window.deadline),
        ),
        t["step_late"],
    )


# A desktop notification shows a few lines; longer ones are cut where the server likes.
_SHORT_LINE = 200


@functools.lru_cache(maxsize=256)
def _one_line(text: str) -> str:
    # Cached: a catch-up shortens the same warning and the same few next steps thousands of times.
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHORT_LINE else flat[: _SHORT_LINE - 1].rstrip() + "…"


def _due_line(window: ReviewWindow, today: date, tr: _Language) -> str:
    """What is due and how many days are left, in a few words."""
    if today < window.opens:
        return tr.ngettext(
            "Review window opens %(day)s: in %(n)d day",
            "Review window opens %(day)s: in %(n)d days",
            (window.opens - today).days,
            day=tr.date(window.opens),
        )
    if today < window.deadline:
        return tr.ngettext(
            "Deadline %(day)s: %(n)d day left",
            "Deadline %(day)s: %(n)d days left",
            (window.deadline - today).days,
            day=tr.date(window.deadline),
        )
    if today == window.deadline:
        return tr.texts["deadline_today"].replace(_OPEN, tr.date(window.deadline))
    return tr.ngettext(
        "Deadline %(day)s passed %(n)d day ago",
        "Deadline %(day)s passed %(n)d days ago",
        (today - window.deadline).days,
        day=tr.date(window.deadline),
    )


def short_body(
    window: ReviewWindow, today: date, step: str, warning: str | None, lang: str | None = None
) -> str:
    """The body of a notification on a small screen: due and days left, next step, warning."""
    return _short_body(window, today, step, warning, _language(lang or i18n.current_language()))


def _short_body(window: ReviewWindow, today: date, step: str, warning: str | None, tr: _Language) -> str:
    lines = [
        _due_line(window, today, tr),
        _one_line(tr.texts["next"].replace(_OPEN, step.splitlines()[0])),
    ]
    if warning:
        lines.append(_one_line(f"⚠ {warning}"))
    return "\n".join(lines)


def _after_letters(evidence: Sequence[EvidenceEntry], zone: ZoneInfo, plural: _Language, case: Case) -> str:
    """The next step once ``letter --send`` has written to the organisation or the regulator
    (its record in the log), instead of advice to write what was written; "" before that."""
    latest: dict[str, EvidenceEntry] = {}
    for e in evidence:
        to = sent_letter_to(e)
        if to is not None and (to not in latest or (e.at, e.seq) > (latest[to].at, latest[to].seq)):
            latest[to] = e
    if "regulator" in latest:
        e = latest["regulator"]
        return _(
            "You took the matter to the regulator on %(day)s (evidence #%(seq)d): log its answer and "
            "the organisation's as they come (reminder evidence add %(id)s), and close the case when "
            "the decision comes.",
            day=plural.date(e.at.astimezone(zone).date()),
            seq=e.seq,
            id=case.id,
        )
    if "organisation" in latest:
        e = latest["organisation"]
        return _(
            "You wrote to %(org)s on %(day)s (evidence #%(seq)d). If no answer has come by the date "
            "the letter asked for, take the matter to the regulator or ombudsman with your evidence "
            "(reminder letter %(id)s --to regulator, reminder export %(id)s); log any answer "
            "(reminder evidence add %(id)s).",
            org=case.organisation,
            day=plural.date(e.at.astimezone(zone).date()),
            seq=e.seq,
            id=case.id,
        )
    return ""


# The evidence entries a message lists: the latest few (all of them are in `reminder evidence list`).
_EVIDENCE_SHOWN = 5


def _evidence_rows(
    evidence: Sequence[EvidenceEntry], zone: ZoneInfo, plural: _Language, case_id: str
) -> list[str]:
    """The latest entries, numbered as ``show`` numbers them, a correction and what it corrects
    marked as ``show`` marks them, and a line saying how many earlier ones are not listed."""
    t = plural.texts
    # Written in the current language, as the rest (render_message).
    fixes = corrections_of(evidence) if any(e.corrects is not None for e in evidence) else {}
    rows = []
    for e in evidence[-_EVIDENCE_SHOWN:]:
        # The day in the case's zone, as its --at was typed (an entry added without --at is UTC).
        row = t["evidence_row"] % {
            "day": e.at.astimezone(zone).date().isoformat(),
            "kind": evidence_kind(e.kind, plural.lang),
            "summary": summary_for_people(e),
        }
        links = []
        if e.corrects is not None:
            links.append(_("corrects #%(n)d", n=e.corrects))
        if e.seq in fixes:
            links.append(_("corrected by %(entries)s", entries=i18n.joined(f"#{n}" for n in fixes[e.seq])))
        notes = i18n.joined_clauses(links, semicolons=True)
        rows.append(f"#{e.seq} {row}" + (_("  (%(notes)s)", notes=notes) if links else ""))
    earlier = len(evidence) - len(rows)
    if earlier:
        more = ngettext(
            "… %(n)d earlier entry: reminder evidence list %(id)s",
            "… %(n)d earlier entries: reminder evidence list %(id)s",
            earlier,
            id=case_id,
        )
        rows.insert(0, more)
    return rows


def render_message(
    case: Case,
    window: ReviewWindow,
    *,
    kind: str,
    key: str,
    now: datetime,
    evidence: Sequence[EvidenceEntry] = (),
    note: str | None = None,
    missed: int = 0,
    missed_while_closed: int = 0,
    missed_before_added: int = 0,
    missed_before_changed: int = 0,
    missed_before_planned: int = 0,
    warning: str | None = None,
) -> Message:
    """The message for one reminder of ``case``, as of ``now``.

    ``missed`` counts earlier reminders of the same case that fell due while
    nothing could send them (the machine was off); they are folded into this one.
    ``missed_while_closed`` counts those folded into it that fell due while the case was
    closed (it was reopened since): the daemon may have run all along. ``missed_before_added``
    counts those whose time had passed when the case was added (a request filed weeks before),
    ``missed_before_changed`` those whose time had passed when a change of the case moved them
    there (its submission date corrected to an earlier one), ``missed_before_planned`` those
    whose time had passed when something else planned them (the daemon's re-plan after the
    config, reminder's version or the holiday data changed: a notifier added, say).
    ``warning`` is the case's template warning (the config's ``[templates.<kind>] warning``),
    shown right under the headline of every kind: fraudsters call while a request is under
    review and after its deadline alike, and a warning at the bottom is read too late.

    Written in the current language (``i18n.using_language`` around the call: a notifier's
    own); reminder's own warning and preset steps too, a warning or step the user wrote in the
    config as written. ``data`` keeps its keys, the kind and the ISO dates in English.
    """
    lang = i18n.current_language()
    plural = _language(lang)
    t = plural.texts
    zone = ZoneInfo(case.timezone)
    today = now.astimezone(zone).date()
    # Reminder's own warning and preset steps in the reader's language; the user's as written.
    warning = localised(warning, lang) if warning else warning
    headline, step = _situation(window, today, plural)
    step = step.replace(_OPEN, case.id)
    if today > window.deadline:
        step = _after_letters(evidence, zone, plural, case) or step
    if note:
        step = f"{localised(note, lang)}\n{step}"
    # The user's title goes in last, so nothing in it is taken for a place to fill.
    subject = t["subject"].replace(_OPEN, headline).replace(_TITLE, case.title)
    deadline = plural.date(window.deadline)
    # (fact's frame, value): the value goes in last, so no text of the user's is read as a template.
    f = plural.facts
    facts: list[tuple[tuple[str, str, str], str]] = [
        (f["organisation"], case.organisation),
        (f["submitted"], plural.date(case.submitted)),
        (f["window_opens"], plural.date(window.opens)),
        (f["deadline"], t["tentative_day"].replace(_OPEN, deadline) if window.tentative else deadline),
    ]
    if case.reference:
        facts.append((f["reference"], case.reference))
    if case.channels:
        facts.append((f["contact"], channels(case.channels, lang)))
    facts.append((f["case"], t["case_id"].replace(_OPEN, case.id)))
    if window.tentative:
        because = join(
            (
                t["because"] % {"name": tentative_name(window, d, lang), "day": d.date.isoformat()}
                for d in window.tentative_because
            ),
            lang,
        )
        facts.append((f["tentative_because"], because or t["estimated"]))
    log = _evidence_rows(evidence, zone, plural, case.id)

    lines = [t["first_line"].replace(_OPEN, headline).replace(_TITLE, case.title), ""]
    if warning:
        lines += [f"⚠ {warning}", ""]
    if missed:
        # The same English for one and for several (it has always said "reminder(s)"); a
        # language with plural forms words each.
        lines.append(
            plural.ngettext(
                "(This replaces %(n)d earlier reminder(s) that fell due while reminder was not running.)",
                "(This replaces %(n)d earlier reminder(s) that fell due while reminder was not running.)",
                missed,
            )
        )
    if missed_while_closed:
        # Reopened: they were cancelled while it was closed, whether or not reminder ran.
        lines.append(
            plural.ngettext(
                "(This replaces %(n)d earlier reminder that fell due while the case was closed.)",
                "(This replaces %(n)d earlier reminders that fell due while the case was closed.)",
                missed_while_closed,
            )
        )
    if missed_before_added:
        # Added late: no daemon missed them, and the person's first message must not say one did.
        lines.append(
            plural.ngettext(
                "(This replaces %(n)d earlier reminder whose day had passed when the case was added.)",
                "(This replaces %(n)d earlier reminders whose day had passed when the case was added.)",
                missed_before_added,
            )
        )
    if missed_before_changed:
        # Moved into the past by an edit: the daemon may have run all along.
        lines.append(
            plural.ngettext(
                "(This replaces %(n)d earlier reminder whose day had passed when the case was changed.)",
                "(This replaces %(n)d earlier reminders whose day had passed when the case was changed.)",
                missed_before_changed,
            )
        )
    if missed_before_planned:
        # Planned late by a re-plan no change of the case made: the daemon may have run all along.
        lines.append(
            plural.ngettext(
                "(This replaces %(n)d earlier reminder whose day had passed when it was planned.)",
                "(This replaces %(n)d earlier reminders whose day had passed when they were planned.)",
                missed_before_planned,
            )
        )
    replaced = (
        missed + missed_while_closed + missed_before_added + missed_before_changed + missed_before_planned
    )
    if replaced:
        lines.append("")
    lines += [frame[0] + value + frame[1] for frame, value in facts]
    lines += ["", t["next_step_colon"], step]
    lines += [
        "",
        plural.ngettext("Evidence so far: %(n)d entry", "Evidence so far: %(n)d entries", len(evidence)),
    ]
    lines += [f"  - {row}" for row in log]
    # A dated witness of the log's head in the user's mailbox, out of reach of this machine.
    head = head_witness(case.id, evidence[-1].seq, evidence[-1].hash) if evidence else ""
    if head:
        lines += ["", head]
    lines += ["", t["close"].replace(_OPEN, case.id)]
    text = "\n".join(lines) + "\n"

    rows = "".join(f"{frame[2]}{html.escape(value)}</td></tr>" for frame, value in facts)
    so_far = html.escape(t["so_far_html"] % {"n": len(evidence)})
    evidence_html = "".join(f"<li>{html.escape(row)}</li>" for row in log) or f"<li>{t['none_yet_html']}</li>"
    body_html = (
        f"<h2>{html.escape(case.title)}</h2><p><strong>{html.escape(headline)}</strong></p>"
        + (f"<p><strong>⚠ {html.escape(warning)}</strong></p>" if warning else "")
        + f"<table>{rows}</table><h3>{t['next_step_html']}</h3>"
        + f"<p>{html.escape(step).replace(chr(10), '<br>')}</p>"
        + f"<h3>{so_far}</h3><ul>{evidence_html}</ul>"
        + (f"<p><small>{html.escape(head)}</small></p>" if head else "")
    )
    urgency = "critical" if today >= window.deadline else _URGENCY.get(kind, "normal")
    return Message(
        key=key,
        case_id=case.id,
        kind=kind,
        subject=subject,
        text=text,
        html=body_html,
        urgency=urgency,  # type: ignore[arg-type]
        short=_short_body(window, today, step, warning, plural),
        data={
            "case_id": case.id,
            "title": case.title,
            "organisation": case.organisation,
            "reference": case.reference,
            "kind": kind,
            "opens": window.opens.isoformat(),
            "deadline": window.deadline.isoformat(),
            "tentative": window.tentative,
            "headline": headline,
            "next_step": step,
            # Every reminder it replaces, and how many of them for each reason it was not sent in time.
            "missed": replaced,
            "missed_while_closed": missed_while_closed,
            "missed_before_added": missed_before_added,
            "missed_before_changed": missed_before_changed,
            "missed_before_planned": missed_before_planned,
            "warning": warning,
        },
        language=lang,
    )
