"""A case as ``show``, ``add`` and ``edit`` print it: people's text or ``--json``."""

from __future__ import annotations

from datetime import datetime

from .. import cmdline
from ..cli_labels import (
    case_kind,
    case_status,
    days_left_text,
    evidence_kind,
    reminder_label,
    reminder_note,
    reminder_status,
)
from ..i18n import _, format_date, joined, joined_clauses, ngettext
from ..shipped import localised
from ..terminal import escape_controls as _t
from .common import (
    echo_json,
    pad,
    settings_from,
)

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import tzinfo
    from typing import Any

    from ..api import CaseView
    from ..store import Store


def evidence_line(e: Any, fixes: dict[int, list[int]], zone: tzinfo) -> str:
    """One entry of the evidence log as ``show`` and ``evidence list`` print it, its time in
    ``zone``, the case's: ``--at`` is typed in it, and the reminders' times are given in it."""
    from ..evidence import summary_for_people

    links = []
    if e.corrects is not None:
        links.append(_("corrects #%(n)d", n=e.corrects))
    if e.seq in fixes:
        links.append(_("corrected by %(entries)s", entries=joined(f"#{n}" for n in fixes[e.seq])))
    files = len(e.attachments)
    extra = ([ngettext("%(n)d file", "%(n)d files", files)] if files else []) + links
    at = e.at.astimezone(zone)
    summary = _t(summary_for_people(e))
    line = f"#{e.seq:<3} {at:%Y-%m-%d %H:%M}  {pad(evidence_kind(e.kind), 10)} {summary}"
    return line + (_("  (%(notes)s)", notes=joined_clauses(extra, semicolons=True)) if extra else "")


def case_zone(case: Any) -> tzinfo:
    """The case's time zone, in which its times are shown (the store keeps only valid names)."""
    from ..tz import zone

    return zone(case.timezone)


def _minute(iso: str, zone: tzinfo) -> str:
    """An ISO moment of the outbox as show gives it: to the minute, in ``zone``."""
    return f"{datetime.fromisoformat(iso).astimezone(zone):%Y-%m-%dT%H:%M}"


def case_json(view: CaseView) -> dict[str, Any]:
    from ..export import case_to_dict

    data = case_to_dict(view.case, view.window, today=view.today)
    if view.warning:
        data["warning"] = view.warning
    if view.reminders is not None:
        data["reminders"] = [dict(r) for r in view.reminders]
        if view.case.preset:
            data["preset_steps"] = view.preset_steps
    if view.evidence_count is not None:
        from ..evidence import entry_to_dict

        data["evidence"] = {"count": view.evidence_count, "latest": [entry_to_dict(e) for e in view.evidence]}
    return data


def print_case(
    view: CaseView,
    *,
    explain: bool = False,
    sending: tuple[bool | None, Mapping[tuple[str, str], object]] | None = None,
) -> None:
    """``sending`` (``show``): whether a daemon runs, and who holds each reminder being sent (as
    :func:`reminder.status.sending_holders` gives them), said under it as ``status`` says it."""
    # Each line is one message (label and value), so a translation aligns its own labels.
    # Every field the user typed goes through _t: its control characters are shown, not obeyed.
    c, w = view.case, view.window
    cmdline.echo(
        _("%(id)s  %(title)s  [%(status)s]", id=c.id, title=_t(c.title), status=case_status(c.status))
    )
    cmdline.echo(_("  organisation: %(value)s", value=_t(c.organisation)))
    kind = _t(case_kind(c.kind))
    if c.filed:
        cmdline.echo(_("  kind:         %(kind)s — %(filed)s", kind=kind, filed=_t(c.filed)))
    else:
        cmdline.echo(_("  kind:         %(kind)s", kind=kind))
    if c.reference:
        cmdline.echo(_("  reference:    %(value)s", value=_t(c.reference)))
    if c.channels:
        from ..labels import channels as channel_names

        channels = channel_names(c.channels)
        cmdline.echo(_("  channels:     %(value)s", value=_t(channels)))
    if c.account:
        cmdline.echo(_("  account:      %(value)s", value=_t(c.account)))
    if c.org_email:
        cmdline.echo(_("  org e-mail:   %(value)s", value=_t(c.org_email)))
    if c.letter_language or c.account or c.org_email:
        from ..regulators import country_language

        if c.letter_language:
            cmdline.echo(_("  letters in:   %(value)s", value=_t(c.letter_language)))
        else:
            cmdline.echo(
                _(
                    "  letters in:   %(lang)s (the default for %(country)s)",
                    lang=country_language(c.country),
                    country=c.country,
                )
            )
    place = c.country + (f"-{c.subdivision}" if c.subdivision else "")
    day = format_date(c.submitted) + (f" {c.submitted_time:%H:%M}" if c.submitted_time else "")
    cmdline.echo(
        _("  submitted:    %(day)s (%(place)s, %(timezone)s)", day=day, place=place, timezone=c.timezone)
    )
    if w is not None:
        left = case_status("closed") if c.status == "closed" else days_left_text(view.days_left)
        line = {"opens": format_date(w.opens), "deadline": format_date(w.deadline), "left": left}
        if w.unit == "business":
            text = _(
                "  window:       opens %(opens)s · deadline %(deadline)s "
                "(%(min)d–%(max)d business days) · %(left)s",
                min=w.min_days,
                max=w.max_days,
                **line,
            )
        else:
            text = _(
                "  window:       opens %(opens)s · deadline %(deadline)s (%(min)d–%(max)d days) · %(left)s",
                min=w.min_days,
                max=w.max_days,
                **line,
            )
        cmdline.echo(text)
        if w.tentative:
            from ..explain import tentative_name

            days = (f"{format_date(t.date)} {tentative_name(w, t)}" for t in w.tentative_because)
            because = joined_clauses(days, semicolons=True)
            cmdline.echo(
                _("  tentative:    counts across dates not yet official — %(dates)s", dates=_t(because))
            )
        from ..explain import warning_text

        for text in w.warnings:
            cmdline.echo(_("  warning:      %(text)s", text=_t(warning_text(text, w.country))))
    for cl in c.closures:
        span = f"{cl.start}" if cl.start == cl.end else f"{cl.start}..{cl.end}"
        cmdline.echo(_("  closure:      %(span)s %(label)s", span=span, label=_t(cl.label)))
    if c.preset:
        preset = _t(c.preset)
        if view.preset_title:
            title = _t(localised(view.preset_title))
            cmdline.echo(_("  escalation:   %(preset)s — %(title)s", preset=preset, title=title))
        else:
            cmdline.echo(_("  escalation:   %(preset)s", preset=preset))
        for step in view.preset_steps:
            due = format_date(datetime.fromisoformat(str(step["due"])))
            text = _t(localised(str(step["step"])))
            cmdline.echo(_("    step %(n)s  %(day)s  %(step)s", n=step["n"], day=due, step=text))
    if c.status == "closed":
        # The day in the case's zone, as every other day here (closed_at is kept in UTC).
        when = format_date(c.closed_at.astimezone(case_zone(c)).date()) if c.closed_at else "?"
        if c.resolution:
            cmdline.echo(_("  closed:       %(day)s — %(resolution)s", day=when, resolution=_t(c.resolution)))
        else:
            cmdline.echo(_("  closed:       %(day)s", day=when))
    if c.notes:
        cmdline.echo(_("  notes:        %(value)s", value=_t(c.notes, multiline=True)))
    if c.checklist:
        cmdline.echo(_("  checklist:"))
        for item in c.checklist:
            cmdline.echo(f"    [{'x' if item.done else ' '}] {item.position}. {_t(localised(item.text))}")
    if view.warning:
        cmdline.echo(f"  ⚠ {_t(localised(view.warning))}")
    if view.evidence_count is not None:
        n = view.evidence_count
        if n > len(view.evidence):
            cmdline.echo(
                ngettext(
                    "  evidence:     %(n)d entry (all: reminder evidence list %(id)s)",
                    "  evidence:     %(n)d entries (all: reminder evidence list %(id)s)",
                    n,
                    id=c.id,
                )
            )
        else:
            cmdline.echo(ngettext("  evidence:     %(n)d entry", "  evidence:     %(n)d entries", n))
        from ..evidence import corrections_of

        # An entry is corrected by a later one, so the latest entries shown hold their correctors.
        fixes = corrections_of(view.evidence)
        zone = case_zone(c)
        for e in view.evidence:
            cmdline.echo("    " + evidence_line(e, fixes, zone))
    if view.reminders:
        cmdline.echo(_("  reminders:"))
        zone = case_zone(c)
        # A notifier folds its missed reminders into its own catch-up, which shares its key with the
        # other notifiers' but not always its time (an hour changed in between): looked up per notifier.
        due_of: dict[str, dict[str, str]] = {}
        for r in view.reminders:
            due_of.setdefault(str(r["notifier"]), {})[str(r["key"])] = _minute(str(r["due"]), zone)
        for r in view.reminders:
            # Both times in the case's zone, as every time here: the due time is kept in it (as
            # it was when planned), the sent time in UTC.
            sent = _(" at %(time)s", time=_minute(str(r["sent_at"]), zone)) if r.get("sent_at") else ""
            note = reminder_note(
                str(r["status"]),
                r.get("last_error"),  # type: ignore[arg-type]
                due_of.get(str(r["notifier"])),
            )
            # A notifier's error can quote a remote server: shown, not obeyed.
            why = _(" (%(note)s)", note=_t(note)) if note else ""
            due = _minute(str(r["due"]), zone)
            kind_cell = pad(reminder_label(str(r["kind"]), str(r["key"]), c.preset), 15)
            status = reminder_status(str(r["status"]))
            cmdline.echo(f"    {due}  {kind_cell} {pad(str(r['notifier']), 8)} {status}{sent}{why}")
            held = (str(r["key"]), str(r["notifier"]))
            if sending is not None and r["status"] == "sending" and held in sending[1]:
                from .daemon import sending_note  # status's words (only for a row being sent)

                note = sending_note(sending[1][held], sending[0], c.timezone)
                if note is not None:
                    cmdline.echo("      " + note.lstrip())
    if explain and w is not None and w.days:
        from .window import window_table  # only with --explain

        window_table(w)


def emit_case(view: CaseView, as_json: bool, message: str | None = None) -> None:
    if as_json:
        echo_json(case_json(view))
        return
    if message:
        cmdline.echo(message)
    print_case(view)


def view_after_write(ctx: cmdline.Context, store: Store, case_id: str, now: datetime) -> CaseView:
    from .. import api

    return api.get_case_view(store, settings_from(ctx), case_id, now=now)
