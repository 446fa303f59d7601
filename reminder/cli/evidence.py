"""``reminder evidence``: the tamper-evident log of what you did."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .. import cmdline
from ..cli_labels import (
    evidence_kind,
)
from ..i18n import _, format_date, joined, ngettext
from ..terminal import escape_controls as _t
from .case_view import case_zone, evidence_line
from .common import (
    MomentType,
    echo_json,
    json_option,
    store_for,
    utc_now,
)
from .group import ReminderGroup

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from ..dates import Moment
    from ..models import EvidenceEntry
    from ..store import Store


def _evidence_kinds() -> Sequence[str]:
    from ..models import EVIDENCE_KINDS

    return EVIDENCE_KINDS


class _EvidenceKind(cmdline.LazyChoice):
    """An evidence kind: its word (``screenshot``), or the word the output shows it by in the
    user's language (截图): what ``evidence list`` shows, typed back, is the kind it shows."""

    def convert(self, value: object, param: cmdline.Parameter | None, ctx: cmdline.Context | None) -> object:
        for kind in self.choices:
            if value == evidence_kind(kind):
                return kind
        return super().convert(value, param, ctx)

    def lookalikes(self) -> Sequence[str]:
        # A word of the reader's language mistyped (验证马) is answered with that language's word.
        return list(dict.fromkeys([*self.choices, *map(evidence_kind, self.choices)]))


@cmdline.group("evidence", cls=ReminderGroup)
def evidence_group() -> None:
    """Keep a tamper-evident log of what you did: calls, e-mails, letters, codes.

    Entries are never edited or deleted: to fix one, add a new entry with
    --corrects N. Files are copied into the data directory and hashed.

    \b
    Example:
      reminder evidence add q7k2mp --kind call --summary "Called 196, ref 77"
      reminder evidence verify q7k2mp
    """


@evidence_group.command("add")
@cmdline.argument("case_id", metavar="ID")
@cmdline.option(
    "--kind",
    type=_EvidenceKind(_evidence_kinds),
    help="What it was (code: a verification check). Required, except with --corrects: the corrected entry's.",
)
@cmdline.option(
    "--summary",
    help="What happened, in a sentence. Required, except with --corrects: the corrected entry's.",
)
@cmdline.option(
    "--at",
    "at",
    type=MomentType("a date and time"),
    metavar="DATETIME",
    help="When it happened (default: now; with --corrects, the corrected entry's time), e.g. "
    "2026-03-05T14:30, in the case's time zone unless it carries an offset (2026-03-05T14:30+03:00); "
    "a date alone is its start (00:00).",
)
@cmdline.option(
    "--file",
    "files",
    multiple=True,
    type=cmdline.Path(dir_okay=False),
    help="Attach a file (a screenshot, a letter, an e-mail); repeat for more.",
)
@cmdline.option(
    "--corrects",
    type=cmdline.IntRange(min=1),
    help="This entry corrects entry N: what you do not give (--kind, --summary, --at) is that of N's "
    "last version (N, or its latest correction).",
)
@cmdline.option(
    "--own-key",
    is_flag=True,
    help="Record it with this machine's evidence key (made if there is none) although the case's log "
    "is kept with another: only when that key is lost for good (else copy its evidence.key here).",
)
@json_option
@cmdline.pass_context
def evidence_add_command(
    ctx: cmdline.Context,
    case_id: str,
    kind: str | None,
    summary: str | None,
    at: Moment | None,
    files: tuple[Path, ...],
    corrects: int | None,
    own_key: bool,
    as_json: bool,
) -> None:
    """Add an entry to a case's evidence log.

    \b
    Example:
      reminder evidence add q7k2mp --kind email --summary "Asked for the status" --file mail.eml
      reminder evidence add q7k2mp --kind code --summary "SMS code for identity check" --at 2026-03-02T10:15
      reminder evidence add q7k2mp --kind note --summary "The call was on Tuesday" --corrects 1
    """
    from ..api import correction_source, log_evidence
    from ..evidence import CODE_WARNING, entry_to_dict

    if corrects is None:  # a correction takes what is not given from the entry it corrects
        for name, value in (("kind", kind), ("summary", summary)):
            if value is None:
                raise cmdline.MissingParameter(ctx, next(p for p in ctx.command.params if p.name == name))
    store = store_for(ctx)
    # What a correction is not given comes from the last version of the fact N states: after
    # 1 ← 2 re-dated it, entry 1's own date is the wrong one. Said when that is not N itself.
    source = None
    if corrects is not None and (kind is None or summary is None or at is None):
        source = correction_source(store, case_id, corrects)
    taken = (
        _(
            "entry %(n)d was corrected by #%(last)d: the fields you did not give are taken from #%(last)d",
            n=corrects,
            last=source.seq,
        )
        if source is not None and source.seq != corrects
        else None
    )
    entry = log_evidence(
        store,
        case_id,
        kind=kind,
        summary=summary,
        now=utc_now(),
        at=at,
        files=files,
        corrects=corrects,
        own_key=own_key,
        source=source,
    )
    warning = CODE_WARNING if entry.kind == "code" else None
    early = _before_submission(store, entry) if at is not None else None
    if as_json:
        report = entry_to_dict(entry, store.attachments)
        echo_json(
            {
                "version": 1,
                "entry": report,
                "warning": warning and _(warning),
                "note": early,
                # The entry what was not given was taken from, when not the one --corrects named.
                "taken_from": source.seq if taken and source else None,
            }
        )
        return
    kind_text = evidence_kind(entry.kind)
    if entry.attachments:
        cmdline.echo(
            _(
                "Recorded evidence #%(seq)d for case %(case)s (%(kind)s, %(files)d file(s) stored).",
                seq=entry.seq,
                case=entry.case_id,
                kind=kind_text,
                files=len(entry.attachments),
            )
        )
    else:
        cmdline.echo(
            _(
                "Recorded evidence #%(seq)d for case %(case)s (%(kind)s).",
                seq=entry.seq,
                case=entry.case_id,
                kind=kind_text,
            )
        )
    if warning:
        cmdline.echo(_("Warning: %(text)s", text=_(warning)))
    if taken:
        cmdline.echo(_("note: %(note)s", note=taken), err=True)
    if early:
        cmdline.echo(_("note: %(note)s", note=early), err=True)


def _before_submission(store: Store, entry: EvidenceEntry) -> str | None:
    """What to say of an entry dated before its case's request was submitted, or None.

    Such an entry may well be true (the call that asked how to cancel), and the letters place it
    under what came before the request; but "2020" for "2026" is an easy slip, and an entry can
    only be corrected afterwards, never edited: so the person hears of it at once."""
    from zoneinfo import ZoneInfo

    case = store.get_case(entry.case_id)
    day = entry.at.astimezone(ZoneInfo(case.timezone)).date()
    if day >= case.submitted:
        return None
    return ngettext(
        "#%(seq)d is dated %(day)s, %(n)d day before the request was submitted (%(submitted)s); if that "
        "is a slip, record the right date with: reminder evidence add %(case)s --corrects %(seq)d --at …",
        "#%(seq)d is dated %(day)s, %(n)d days before the request was submitted (%(submitted)s); if that "
        "is a slip, record the right date with: reminder evidence add %(case)s --corrects %(seq)d --at …",
        (case.submitted - day).days,
        seq=entry.seq,
        day=format_date(day),
        submitted=format_date(case.submitted),
        case=case.id,
    )


@evidence_group.command("list")
@cmdline.argument("case_id", metavar="ID")
@json_option
@cmdline.pass_context
def evidence_list_command(ctx: cmdline.Context, case_id: str, as_json: bool) -> None:
    """List a case's evidence, oldest first, with corrections linked.

    \b
    Example:
      reminder evidence list q7k2mp
    """
    from ..api import list_evidence
    from ..evidence import corrections_of, entry_to_dict

    store = store_for(ctx)
    case = store.get_case(case_id)
    entries = list_evidence(store, case.id)
    fixes = corrections_of(entries)
    if as_json:
        items = [
            {**entry_to_dict(e, store.attachments), "corrected_by": fixes.get(e.seq, [])} for e in entries
        ]
        echo_json({"version": 1, "case_id": case.id, "entries": items})
        return
    if not entries:
        cmdline.echo(
            _(
                "No evidence yet. Add some with: reminder evidence add %(id)s --kind call --summary …",
                id=_t(case_id),
            )
        )
        return
    # The times are the case's, as --at takes them; said once, as show says it once.
    cmdline.echo(_("Case %(id)s, times in %(zone)s:", id=case.id, zone=case.timezone))
    zone = case_zone(case)
    for e in entries:
        cmdline.echo(evidence_line(e, fixes, zone))


@evidence_group.command("show")
@cmdline.argument("case_id", metavar="ID")
@cmdline.argument("seq", metavar="N", type=cmdline.IntRange(min=1))
@json_option
@cmdline.pass_context
def evidence_show_command(ctx: cmdline.Context, case_id: str, seq: int, as_json: bool) -> None:
    """Show one entry: its text, files (with where they are kept) and hashes.

    \b
    Example:
      reminder evidence show q7k2mp 2
    """
    from ..api import get_evidence, list_evidence
    from ..evidence import corrections_of, current_versions, entry_to_dict, summary_for_people

    store = store_for(ctx)
    case = store.get_case(case_id)
    entry = get_evidence(store, case.id, seq)
    entries = list_evidence(store, case.id)
    fixed_by = corrections_of(entries).get(seq, [])
    # The version the letters state, as the dossier names it: 1 ← 2 and 1 ← 3 leave #2 with no
    # correction of its own, though #3 replaced it.
    last = current_versions(entries).get(seq, seq)
    data = {**entry_to_dict(entry, store.attachments), "corrected_by": fixed_by, "last_version": last}
    if as_json:
        echo_json({"version": 1, "entry": data})
        return
    cmdline.echo(_("Evidence #%(seq)d of case %(case)s", seq=entry.seq, case=entry.case_id))
    cmdline.echo(_("  kind:      %(value)s", value=evidence_kind(entry.kind)))
    # In the case's time zone, named: --at is typed in it, and "recorded" is read beside it.
    zone = case_zone(case)

    def local(moment: datetime) -> str:
        return _(
            "%(time)s (%(zone)s)",
            time=moment.astimezone(zone).isoformat(timespec="seconds"),
            zone=case.timezone,
        )

    cmdline.echo(_("  at:        %(value)s", value=local(entry.at)))
    cmdline.echo(_("  recorded:  %(value)s", value=local(entry.recorded_at)))
    cmdline.echo(_("  summary:   %(value)s", value=_t(summary_for_people(entry))))
    if entry.corrects is not None:
        cmdline.echo(_("  corrects:  #%(n)d", n=entry.corrects))
    if fixed_by:
        cmdline.echo(_("  corrected by: %(entries)s", entries=joined(f"#{n}" for n in fixed_by)))
    if last != seq and fixed_by != [last]:
        cmdline.echo(_("  last version: #%(n)d", n=last))
    for a in data["attachments"]:
        cmdline.echo(_("  file:      %(name)s (%(size)d bytes)", name=_t(a["name"]), size=a["size"]))
        cmdline.echo(_("             sha256 %(hash)s", hash=a["sha256"]))
        cmdline.echo(_("             kept at %(path)s", path=_t(str(a["path"]))))
    cmdline.echo(_("  hash:      %(value)s", value=entry.hash))
    cmdline.echo(_("  previous:  %(value)s", value=entry.prev_hash or _("(first entry)")))


def _head_prefix(ctx: cmdline.Context, param: cmdline.Parameter, value: str | None) -> str | None:
    import re

    if value is None:
        return None
    value = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{8,64}", value):
        raise cmdline.BadParameter(
            _("%(value)s: give 8 to 64 hex digits of a head, e.g. from a reminder e-mail", value=repr(value))
        )
    return value


@evidence_group.command("verify")
@cmdline.argument("case_id", metavar="ID")
@cmdline.option(
    "--head",
    metavar="HEX",
    callback=_head_prefix,
    help="Also check that the log still holds the entry with this head (8+ hex digits, from an "
    "old reminder e-mail or dossier): that nothing up to it was cut or changed.",
)
@json_option
@cmdline.pass_context
def evidence_verify_command(ctx: cmdline.Context, case_id: str, head: str | None, as_json: bool) -> None:
    """Check that a case's evidence log and files are unchanged (exit 1 if not).

    Recomputes every entry's hash (keyed with the evidence key in the state
    directory), the chain linking them and each file's SHA-256, checks the log
    against its recorded head, and names each entry or file that is wrong.

    \b
    Example:
      reminder evidence verify q7k2mp
      reminder evidence verify q7k2mp --head 3f9a0c1d2e4b5a69
    """
    from ..api import verify_evidence
    from ..evidence import HEAD_PREFIX

    report = verify_evidence(store_for(ctx), case_id, head=head)
    if as_json:
        echo_json(
            {
                "version": 1,
                "case_id": report.case_id,
                "ok": report.ok,
                "entries": report.entries,
                "attachments": report.attachments,
                "head_hash": report.head_hash,
                "head_entry": report.head_seq,
                "witnessed_entries": report.witnessed,
                "head_checked": report.head_checked,
                "problems": [
                    {
                        "entry": p.seq,
                        "through": p.through,
                        "attachment": p.attachment,
                        "problem": p.problem,
                        "message": str(p),
                    }
                    for p in report.problems
                ],
            }
        )
    elif report.ok:
        cmdline.echo(
            ngettext(
                "OK: %(n)d entry and %(files)s are intact.",
                "OK: %(n)d entries and %(files)s are intact.",
                report.entries,
                files=ngettext("%(n)d file", "%(n)d files", report.attachments),
            )
        )
        if head is not None:
            cmdline.echo(
                _(
                    "The head %(head)s is entry %(n)s: the log still holds it and all before it.",
                    head=head,
                    n=report.head_checked,
                )
            )
        if report.head_hash:
            cmdline.echo(_("Head: entry %(n)s, %(hash)s", n=report.head_seq, hash=report.head_hash))
            prefix = report.head_hash[:HEAD_PREFIX]
            cmdline.echo(
                _(
                    "Check it later with: reminder evidence verify %(id)s --head %(prefix)s",
                    id=report.case_id,
                    prefix=prefix,
                )
            )
    else:
        # A problem may name an attachment: shown, not obeyed.
        cmdline.echo(_("NOT INTACT: %(problem)s", problem=_t(str(report.first))), err=True)
        for p in report.problems[1:]:
            cmdline.echo(_("  also: %(problem)s", problem=_t(str(p))), err=True)
    if not report.ok:
        sys.exit(1)
