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

from .evidence import head_witness
from .models import Case, EvidenceEntry, Message, ReviewWindow

__all__ = ["render_message", "short_body", "situation"]

_URGENCY = {
    "before_open": "low",
    "opened": "normal",
    "before_deadline": "normal",
    "deadline": "critical",
    "escalation": "critical",
}


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@functools.lru_cache(maxsize=1024)
def _fmt(d: date) -> str:
    # A catch-up formats five dates per message, most of them shared across cases.
    return d.strftime("%a %Y-%m-%d")


def situation(window: ReviewWindow, today: date) -> tuple[str, str]:
    """(headline, next step) for where a case stands on ``today``."""
    if today < window.opens:
        left = (window.opens - today).days
        return (
            f"the review window opens in {_days(left)} ({_fmt(window.opens)})",
            "Nothing to do yet. Keep your phone number and contact details unchanged while the request is "
            "under review.",
        )
    if today < window.deadline:
        left = (window.deadline - today).days
        return (
            f"the review window is open; the deadline is in {_days(left)} ({_fmt(window.deadline)})",
            "A decision may come any day now: check the status with the organisation, and log what they say "
            "as evidence (reminder evidence add).",
        )
    if today == window.deadline:
        return (
            f"today ({_fmt(window.deadline)}) is the deadline",
            "If no decision has come, contact the organisation today quoting your reference, ask for a "
            "written answer, and log the call or e-mail as evidence.",
        )
    late = (today - window.deadline).days
    return (
        f"the deadline passed {_days(late)} ago ({_fmt(window.deadline)}) — escalate",
        "Call again and ask for the case to be escalated; put the complaint in writing quoting your "
        "reference and the dates; if that does not move it, go to the regulator or ombudsman with your "
        "evidence (reminder export).",
    )


# A desktop notification shows a few lines; longer ones are cut where the server likes.
_SHORT_LINE = 200


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHORT_LINE else flat[: _SHORT_LINE - 1].rstrip() + "…"


def _due_line(window: ReviewWindow, today: date) -> str:
    """What is due and how many days are left, in a few words."""
    if today < window.opens:
        return f"Review window opens {_fmt(window.opens)}: in {_days((window.opens - today).days)}"
    if today < window.deadline:
        return f"Deadline {_fmt(window.deadline)}: {_days((window.deadline - today).days)} left"
    if today == window.deadline:
        return f"Deadline today, {_fmt(window.deadline)}"
    return f"Deadline {_fmt(window.deadline)} passed {_days((today - window.deadline).days)} ago"


def short_body(window: ReviewWindow, today: date, step: str, warning: str | None) -> str:
    """The body of a notification on a small screen: due and days left, next step, warning."""
    lines = [_due_line(window, today), _one_line("Next: " + step.splitlines()[0])]
    if warning:
        lines.append(_one_line(f"⚠ {warning}"))
    return "\n".join(lines)


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
    warning: str | None = None,
) -> Message:
    """The message for one reminder of ``case``, as of ``now``.

    ``missed`` counts earlier reminders of the same case that fell due while
    nothing could send them (the machine was off); they are folded into this one.
    ``warning`` is the case's template warning (the config's ``[templates.<kind>] warning``),
    shown right under the headline of every kind: fraudsters call while a request is under
    review and after its deadline alike, and a warning at the bottom is read too late.
    """
    today = now.astimezone(ZoneInfo(case.timezone)).date()
    headline, step = situation(window, today)
    if note:
        step = f"{note}\n{step}"
    subject = f"{case.title}: {headline}"
    facts: list[tuple[str, str]] = [
        ("Organisation", case.organisation),
        ("Submitted", _fmt(case.submitted)),
        ("Window opens", _fmt(window.opens)),
        ("Deadline", _fmt(window.deadline) + (" (tentative)" if window.tentative else "")),
    ]
    if case.reference:
        facts.append(("Reference", case.reference))
    if case.channels:
        facts.append(("Contact", ", ".join(case.channels)))
    facts.append(("Case", f"{case.id} (reminder show {case.id})"))
    if window.tentative:
        because = ", ".join(f"{t.name} {t.date.isoformat()}" for t in window.tentative_because)
        facts.append(("Tentative because", because or "estimated holiday dates"))
    log = [f"{e.at.date().isoformat()} {e.kind}: {e.summary}" for e in evidence][-5:]

    lines = [f"{case.title} — {headline}.", ""]
    if warning:
        lines += [f"⚠ {warning}", ""]
    if missed:
        lines += [
            f"(This replaces {missed} earlier reminder(s) that fell due while reminder was not running.)",
            "",
        ]
    lines += [f"{label}: {value}" for label, value in facts]
    lines += ["", "Next step:", step]
    lines += ["", f"Evidence so far: {len(evidence)} entr{'y' if len(evidence) == 1 else 'ies'}"]
    lines += [f"  - {row}" for row in log]
    # A dated witness of the log's head in the user's mailbox, out of reach of this machine.
    head = head_witness(case.id, evidence[-1].seq, evidence[-1].hash) if evidence else ""
    if head:
        lines += ["", head]
    lines += ["", f"When you have the decision: reminder close {case.id} --resolution '…'"]
    text = "\n".join(lines) + "\n"

    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    evidence_html = "".join(f"<li>{html.escape(row)}</li>" for row in log) or "<li>none yet</li>"
    body_html = (
        f"<h2>{html.escape(case.title)}</h2><p><strong>{html.escape(headline)}</strong></p>"
        + (f"<p><strong>⚠ {html.escape(warning)}</strong></p>" if warning else "")
        + f"<table>{rows}</table><h3>Next step</h3><p>{html.escape(step).replace(chr(10), '<br>')}</p>"
        + f"<h3>Evidence so far ({len(evidence)})</h3><ul>{evidence_html}</ul>"
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
        short=short_body(window, today, step, warning),
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
            "missed": missed,
            "warning": warning,
        },
    )
