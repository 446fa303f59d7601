"""``reminder export`` and ``reminder letter``: the dossier, the calendar and the letters."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..errors import InputError
from ..i18n import _, current_language
from ..terminal import escape_controls as _t
from .common import (
    config_arg,
    echo_json,
    fail,
    json_option,
    settings_from,
    store_for,
    utc_now,
)

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from typing import Any


_DOSSIER_FORMATS = ("md", "html", "zip", "pdf")
# The format a file name says: "-o dossier.md" is Markdown, not HTML under that name.
_SUFFIX_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".zip": "zip",
    ".pdf": "pdf",
    ".txt": "txt",
    ".eml": "eml",
}


def _output_format(fmt: str | None, output: Path | None, formats: Sequence[str], default: str) -> str:
    """The format to write: ``fmt`` (``--format``), else the one of ``formats`` the output file's
    name ends with, else ``default``; a name that says another of them than ``--format`` is
    refused (which of the two was meant?)."""
    named = None if output is None or str(output) == "-" else _SUFFIX_FORMATS.get(output.suffix.lower())
    if named not in formats:
        named = None
    if fmt is not None and named is not None and named != fmt:
        raise cmdline.UsageError(
            _(
                "--format %(format)s, but the file name %(path)s says %(named)s: give the name the "
                "format's ending, or leave --format out",
                format=fmt,
                path=_t(str(output)),
                named=named,
            )
        )
    return fmt or named or default


@cmdline.command("export", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="[ID]", required=False)
@cmdline.option(
    "--format",
    "fmt",
    type=cmdline.Choice(list(_DOSSIER_FORMATS)),
    help="Dossier format: Markdown, one HTML file, a zip with both and the attachments, or PDF "
    "(needs pip install 'reminder[pdf]'). Default: the one the -o file's name ends with "
    "(.md, .html, .zip, .pdf), else html.",
)
@cmdline.option(
    "--lang",
    metavar="LANG",
    help="The dossier's language: en or zh_CN (default: yours). For a regulator that reads English or "
    "Arabic, en: there is no Arabic dossier, and --lang ar is refused rather than quietly written in "
    "English, so the file you get is the one you asked for.",
)
@cmdline.option("--ics", is_flag=True, help="Export open cases' windows and deadlines as iCalendar instead.")
@cmdline.option(
    "--output",
    "-o",
    "output_text",
    metavar="PATH",
    help="Where to write ('-' for stdout; default: a file in the current directory, or [export] ics_path). "
    "Its directory must exist; a symlink is written through (the file it points to is replaced, the "
    "link stays).",
)
@json_option
@cmdline.pass_context
def export_command(
    ctx: cmdline.Context,
    case_id: str | None,
    fmt: str | None,
    lang: str | None,
    ics: bool,
    output_text: str | None,
    as_json: bool,
) -> None:
    """Export a case's complaint dossier, or a calendar of open cases (--ics).

    The dossier holds the case, the review window with its day-by-day
    explanation, the timeline of evidence and reminders sent, the files with
    their hashes, the holiday data used, and the escalation step that applies now.
    It is in your language; --lang writes it in the language of whoever reads it
    (what you typed — what was filed, the summaries — stays as you typed it; a
    title in a script that reader does not read gives way to the case's kind).

    \b
    Example:
      reminder export q7k2mp --format zip
      reminder export q7k2mp --format pdf -o dossier.pdf
      reminder export q7k2mp --format pdf --lang en -o dossier-en.pdf
      reminder export q7k2mp --format md --output -
      reminder export --ics --output ~/calendar/reminder.ics
    """
    from ..api import export_dossier_checked, export_ics, save_dossier, write_ics
    from ..dossier_api import dossier_language
    from ..outfile import output_path

    # Checked before anything is rendered, so a bad path costs nothing and leaves nothing behind.
    output = None if output_text is None else Path("-") if output_text == "-" else output_path(output_text)
    settings = settings_from(ctx)
    if ics and lang is not None:
        raise cmdline.UsageError(_("--lang is the dossier's language; the calendar is in yours"))
    lang = dossier_language(lang)  # a language it is not written in: one line, before the store opens
    store = store_for(ctx)
    now = utc_now()
    if ics:
        target = output or settings.export.ics_path or Path("reminder.ics")
        if str(target) == "-":
            cmdline.echo(export_ics(store, settings, now=now, case_id=case_id).decode("utf-8"), nl=False)
            return
        changed = write_ics(store, settings, target, now=now, case_id=case_id)
        _report_written(target, as_json, changed=changed, kind=_("calendar"))
        return
    if case_id is None:
        raise cmdline.UsageError(_("give a case ID to export its dossier, or --ics for the calendar"))
    fmt = _output_format(fmt, output, _DOSSIER_FORMATS, "html")
    if str(output) == "-" and fmt in ("zip", "pdf"):
        raise cmdline.BadParameter(
            _("a %(format)s cannot go to stdout; give a file name", format=fmt), param_hint="'--output'"
        )
    if str(output) == "-":
        data, report = export_dossier_checked(store, settings, case_id, now=now, fmt=fmt, lang=lang)
        cmdline.echo(data.decode("utf-8"), nl=False)
        where = _("the dossier above says so")
    else:
        target = output or Path(f"dossier-{store.get_case(case_id).id}.{fmt}")
        report = save_dossier(store, settings, case_id, target, now=now, fmt=fmt, lang=lang)
        # --json says the language it is in: the user's, unless --lang named the reader's.
        language = lang or current_language()
        _report_written(
            target, as_json, changed=True, kind=_("%(format)s dossier", format=fmt), language=language
        )
        where = _("the dossier in %(path)s says so", path=target)
    if not report.ok:
        # Written all the same (it is the record, and says so inside); the exit status must not hide it.
        more = _(" (and %(n)d more)", n=len(report.problems) - 1) if len(report.problems) > 1 else ""
        fail(
            _(
                "the evidence log of case %(id)s does not verify: %(problem)s%(more)s; %(where)s",
                id=report.case_id,
                problem=report.first,
                more=more,
                where=where,
            ),
            1,
            as_json,
        )


def _report_written(
    path: Path, as_json: bool, *, changed: bool, kind: str, language: str | None = None
) -> None:
    if as_json:
        found: dict[str, object] = {"version": 1, "path": path.resolve(), "written": changed}
        if language is not None:
            found["language"] = language
        echo_json(found)
    elif changed:
        cmdline.echo(_("Wrote the %(what)s to %(path)s", what=kind, path=_t(str(path))))
    else:
        cmdline.echo(_("%(path)s is up to date; nothing changed", path=_t(str(path))))


# --- letters (issue 18: `letter`) ------------------------------------------------------------------


def _letter_formats() -> Sequence[str]:
    from ..letter_render import FORMATS

    return FORMATS


def _letter_report(letter: Any, *, strict: bool, as_json: bool) -> None:
    """The blanks, the texts not in the letter's language and the notes, one line each on stderr, in
    the user's language; --strict refuses the first two."""
    from ..i18n import _, joined

    if letter.missing:
        if strict:
            names = joined(_(letter.field_hint(k)[0]) for k in letter.missing)
            fail(_("the letter would have blanks ([____]) for: %(names)s", names=names), 2, as_json)
        cmdline.echo(_("Missing in the letter, left as [____] to fill in:"), err=True)
        for key in letter.missing:
            what, how = letter.field_hint(key)
            how = _(how, id=letter.case.id) if "%(id)s" in how else _(how)
            cmdline.echo(_("  - %(what)s: %(how)s", what=_(what), how=how), err=True)
    if letter.foreign:
        # Typed in the user's script, quoted as typed: the recipient may not read it.
        if strict:
            names = joined(letter.foreign_hint(f)[0] for f in letter.foreign)
            fail(
                _(
                    "the letter (%(lang)s) would quote text not written in its language: %(names)s",
                    lang=letter.lang,
                    names=names,
                ),
                2,
                as_json,
            )
        cmdline.echo(
            _("Quoted in the letter as you typed it, but not in its language (%(lang)s):", lang=letter.lang),
            err=True,
        )
        for text in letter.foreign:
            what, how = letter.foreign_hint(text)
            cmdline.echo(_("  - %(what)s: %(how)s", what=what, how=how), err=True)
    for note in letter.notes:
        cmdline.echo(_("note: %(note)s", note=note), err=True)


def _letter_preview(letter: Any, blind_copy: str | None) -> None:
    from ..i18n import _
    from ..letter_render import to_text

    msg = letter.message
    cmdline.echo(_("About to send this e-mail:"))
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        cmdline.echo(f"  {header}: {msg[header]}")
    for name in letter.attachments:
        cmdline.echo(_("  Attachment: %(name)s", name=name))
    if blind_copy:
        cmdline.echo(
            _("  Blind copy to: %(address)s (you; the recipient does not see it)", address=blind_copy)
        )
    cmdline.echo("")
    cmdline.echo(to_text(letter.rendered))


@cmdline.command("letter", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.option(
    "--to",
    "to",
    type=cmdline.Choice(["organisation", "regulator"]),
    required=True,
    help="A follow-up to the organisation, or a complaint to the regulator.",
)
@cmdline.option(
    "--lang",
    metavar="LANG",
    help="The recipient's language: en, ar or zh_CN (default: the regulator's; else the case's --lang; "
    "else its country's).",
)
@cmdline.option(
    "--format",
    "fmt",
    type=cmdline.LazyChoice(_letter_formats),
    help="txt, md, html, eml (an e-mail a mail client opens as a draft) or pdf. Default: the one the -o "
    "file's name ends with (.txt, .md, .html, .eml, .pdf), else txt.",
)
@cmdline.option(
    "--output",
    "-o",
    "output_text",
    metavar="PATH",
    help="Where to write ('-' for stdout; default: stdout for txt, md and html, letter-ID-TO-LANG.FMT for "
    "eml and pdf). Its directory must exist; a symlink is written through.",
)
@cmdline.option(
    "--regulator",
    "regulator_id",
    metavar="ID",
    help="The regulator to write to, e.g. bh-tra, gb-cisas, cn-miit, ie-dpc (default: the one that fits "
    "the case's country and preset or kind).",
)
@cmdline.option(
    "--attach-dossier", is_flag=True, help="Attach the case's HTML dossier to the e-mail (eml, --send)."
)
@cmdline.option(
    "--send",
    is_flag=True,
    help="Send the e-mail through [notifiers.email] after showing it, and record it in the evidence log.",
)
@cmdline.option(
    "--no-copy",
    is_flag=True,
    help="With --send: do not send yourself ([me] email) the blind copy that otherwise keeps what went "
    "out in your mailbox.",
)
@cmdline.option("--yes", is_flag=True, help="With --send: send without asking (for scripts).")
@cmdline.option(
    "--strict",
    is_flag=True,
    help="Refuse (exit 2) to write or send a letter that has blanks, or that quotes text not written in "
    "its language.",
)
@cmdline.option(
    "--before-deadline",
    is_flag=True,
    help="Write the follow-up to the organisation before the deadline has passed; it asks for an answer "
    "by the first business day after the deadline at the earliest.",
)
@json_option
@cmdline.pass_context
def letter_command(
    ctx: cmdline.Context,
    case_id: str,
    to: str,
    lang: str | None,
    fmt: str | None,
    output_text: str | None,
    regulator_id: str | None,
    attach_dossier: bool,
    send: bool,
    no_copy: bool,
    yes: bool,
    strict: bool,
    before_deadline: bool,
    as_json: bool,
) -> None:
    """Write a letter from a case: a follow-up to the organisation, or a complaint to the regulator.

    The letter states what reminder holds — the request as filed, the period promised and
    the deadline it gave, the evidence with its dates and hashes — in the recipient's
    language (en, ar, zh_CN). What it does not hold is left as a visible blank [____], and
    the missing fields are listed on stderr (exit 0; --strict: exit 2), as is text from the
    case written in a script the letter's language does not use (a request typed in Chinese,
    quoted as typed in an English letter). Templates can be overridden in
    <config dir>/templates/letters/<lang>/<to>.html.j2 (README: Letters).

    Both letters say the deadline has passed: until the day after it (in the case's time
    zone) the command refuses (exit 2). --before-deadline writes the follow-up to the
    organisation all the same; the complaint to the regulator waits for the deadline.

    \b
    Example:
      reminder letter k7m2qx --to organisation
      reminder letter k7m2qx --to organisation --lang ar --format html -o letter.html
      reminder letter k7m2qx --to organisation --send --attach-dossier
      reminder letter k7m2qx --to regulator --format pdf
    """
    from ..config import config_path
    from ..i18n import _
    from ..ics import write_bytes_atomic
    from ..leftovers import journal_dir
    from ..letter_api import check_sendable, compose_letter, copy_to, send_letter
    from ..letter_template import USER_TEMPLATE_DIR
    from ..outfile import output_path

    if send and fmt not in (None, "eml"):
        raise cmdline.UsageError(_("--send sends the e-mail: use --format eml, or leave --format out"))
    # Checked before anything is rendered, so a bad path costs nothing and leaves nothing behind.
    output = None if output_text is None else Path("-") if output_text == "-" else output_path(output_text)
    fmt = "eml" if send else _output_format(fmt, output, _letter_formats(), "txt")
    settings = settings_from(ctx)
    store = store_for(ctx)
    now = utc_now()
    letter = compose_letter(
        store,
        settings,
        case_id,
        to=to,
        now=now,
        fmt=fmt,
        lang=lang,
        regulator_id=regulator_id,
        attach_dossier=attach_dossier,
        user_dir=Path(config_path(config_arg(ctx)).path).parent / USER_TEMPLATE_DIR,
        before_deadline=before_deadline,
    )
    if send:
        from .notify import notifier_warnings

        # The e-mail notifier's warnings (a password file others can read) as notify test shows
        # them; its log line of a failed delivery left out: the error below says it.
        notifier_warnings(ctx)
        # What would stop the sending is said first, alone; then the confirmation, which --yes
        # gives: no address or no [notifiers.email] is not something --yes can fix.
        check_sendable(settings, letter).close()
        if not yes and not sys.stdin.isatty():
            raise InputError(
                _("not sending without a confirmation, and there is no terminal to ask on: add --yes to send")
            )
    _letter_report(letter, strict=strict, as_json=as_json)
    report = letter.as_dict()
    if send:
        if not as_json:
            _letter_preview(letter, None if no_copy else copy_to(letter))
        if not yes and not cmdline.confirm(
            _("Send it to %(to)s?", to=letter.recipient or "?"), default=False, err=True
        ):
            # The person's answer, not an error: said as such, and the exit status says nothing went.
            cmdline.echo(_("Not sent."), err=True)
            ctx.exit(1)
        sent = send_letter(store, settings, letter, now=now, blind_copy=not no_copy)
        entry = sent.entry
        report["sent"] = {
            "to": letter.recipient,
            "evidence": entry.seq,
            "copy_to": sent.copy_to,
            "copy_error": sent.copy_problem,
        }
        if not as_json:
            cmdline.echo(
                _(
                    "Sent to %(to)s (Message-ID %(id)s); recorded as evidence #%(seq)s of case %(case)s.",
                    to=letter.recipient,
                    id=letter.message_id,
                    seq=entry.seq,
                    case=letter.case.id,
                )
            )
        if sent.copy_problem is not None:
            from ..cli_labels import delivery_error

            # The letter went and is recorded: a warning, not a failure of the command.
            cmdline.echo(
                _(
                    "warning: the blind copy to %(address)s did not go: %(why)s",
                    address=sent.copy_to,
                    why=delivery_error(sent.copy_problem),
                ),
                err=True,
            )
        if output is None:
            if as_json:
                echo_json(report)
            return
    if output is None and (as_json or fmt in ("eml", "pdf")):
        output = Path(letter.file_name)
    if output is None or str(output) == "-":
        if fmt in ("eml", "pdf"):
            sys.stdout.buffer.write(letter.data)
            sys.stdout.buffer.flush()
        else:
            cmdline.echo(letter.data.decode("utf-8"), nl=False)
        return
    # Journalled like every export, so a letter cut off mid-write is swept (leftovers.py).
    write_bytes_atomic(output, letter.data, journal=journal_dir(store.path.parent))
    report["path"] = str(output.resolve())
    if as_json:
        echo_json(report)
    elif not send:
        # On stdout, as export says what it wrote: stdout holds the letter only when no file does.
        cmdline.echo(_("Wrote the letter to %(path)s", path=output))
