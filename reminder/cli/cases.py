"""The commands that record and change cases: add, list, show, presets, edit, close, reopen, delete, check."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..i18n import _, ngettext
from ..shipped import localised
from ..terminal import escape_controls as _t
from ..terminal import stdout_bytes
from .case_view import case_json, emit_case, print_case, view_after_write
from .common import (
    FUTURE_OPTION,
    ISO_DATE,
    SUBMITTED,
    SUBMITTED_HELP,
    config_arg,
    echo_json,
    json_option,
    settings_from,
    store_for,
    use_holiday_cache,
    utc_now,
)

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from typing import Any

    from ..dates import Moment
    from ..store import Store
    from .common import F


class _CaseKind(cmdline.ParamType):
    """A case's kind: its word (``cancellation``), or the word the output shows it by in the
    user's language (注销, 注销SIM卡): what ``show`` shows, typed back, is the kind it shows,
    however an input method spaced or cased it (注销 sim 卡)."""

    def convert(self, value: object, param: cmdline.Parameter | None, ctx: cmdline.Context | None) -> object:
        from ..cli_labels import case_kind
        from ..models import CASE_KINDS, SHIPPED_TEMPLATE_KINDS

        def bare(text: str) -> str:
            return "".join(text.split()).casefold()

        text = str(value)
        typed = bare(text)
        kinds = (*CASE_KINDS, *SHIPPED_TEMPLATE_KINDS)
        return next((kind for kind in kinds if bare(case_kind(kind)) == typed), text)


def _case_options(f: F) -> F:
    """Options shared by ``add`` and ``edit``: every field of a case but title/org/submitted."""
    options = [
        cmdline.option(
            "--country",
            help="The country whose business days count: its ISO 3166 code (BH) or its name in English,"
            " Chinese or Arabic (Bahrain, 巴林).",
        ),
        cmdline.option(
            "--subdivision", help="State or region whose holidays also apply, e.g. BY for Bavaria."
        ),
        cmdline.option(
            "--timezone", help="IANA time zone for reminders (default: the country's / config's)."
        ),
        cmdline.option(
            "--kind",
            type=_CaseKind(),
            help="cancellation, refund, permit, visa, data-request, complaint, other — or a checklist "
            "template such as sim-cancellation.",
        ),
        cmdline.option("--filed", help="What you filed, e.g. 'cancel roaming eSIM'."),
        cmdline.option("--reference", help="Reference or ticket number the organisation gave you."),
        cmdline.option(
            "--channel",
            "channels",
            multiple=True,
            help="How you filed or can reach them (repeatable): hotline, e-mail, web form, shop…",
        ),
        cmdline.option("--min-days", type=cmdline.IntRange(min=0), help="The window opens on this day (7)."),
        cmdline.option(
            "--max-days", type=cmdline.IntRange(min=0), help="The deadline falls on this day (15)."
        ),
        cmdline.option(
            "--unit", type=cmdline.Choice(["business", "calendar"]), help="Count business or calendar days."
        ),
        cmdline.option(
            "--closure",
            "closures",
            multiple=True,
            metavar="DATE[..DATE][=LABEL]",
            help="A day or range on which this organisation is shut (repeatable).",
        ),
        cmdline.option("--preset", help="Escalation preset after the deadline, e.g. telecom, gdpr."),
        cmdline.option(
            "--remind",
            multiple=True,
            metavar="NAME=VALUE",
            help="Override the [reminders] policy for this case (repeatable), e.g. before_deadline=3, "
            "opened=no, escalation_every=5, hour=8; on edit it replaces earlier overrides ('reset' clears).",
        ),
        cmdline.option("--notes", help="Free text: who you spoke to, what they said."),
        cmdline.option(
            "--account",
            help="The customer, account, phone or SIM number the organisation knows you by (for letters).",
        ),
        cmdline.option(
            "--org-email",
            "org_email",
            metavar="ADDRESS",
            help="Where the organisation takes written complaints (the To: of 'reminder letter --send').",
        ),
        cmdline.option(
            "--lang",
            "letter_language",
            metavar="LANG",
            help="The language of letters to the organisation: en, ar or zh_CN (default: the one "
            "organisations in its country are written to in, e.g. en for BH, whose carriers answer in "
            "English or Arabic).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _parse_closures(texts: Sequence[str]) -> tuple[Any, ...]:
    from ..calendar import parse_closure

    return tuple(parse_closure(t) for t in texts)


@cmdline.command("add", cls=TranslatedHelp)
@cmdline.option(
    "--title",
    type=cmdline.NONEMPTY,
    required=True,
    help="A name you will recognise, e.g. 'Cancel roaming eSIM'.",
)
@cmdline.option(
    "--org",
    "organisation",
    type=cmdline.NONEMPTY,
    required=True,
    help="The organisation handling it, e.g. Batelco.",
)
@cmdline.option("--submitted", type=SUBMITTED, required=True, help=SUBMITTED_HELP)
@FUTURE_OPTION
@_case_options
@json_option
@cmdline.pass_context
def add_command(
    ctx: cmdline.Context,
    /,
    title: str,
    organisation: str,
    submitted: Moment,
    future: bool,
    channels: tuple[str, ...],
    closures: tuple[str, ...],
    kind: str | None,
    unit: str | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Record a submission; prints the case with its review window.

    The window opens on business day --min-days and the deadline is business day
    --max-days after the submission, in the country's calendar. A --kind with a
    checklist template (sim-cancellation) attaches its checklist.

    \b
    Example:
      reminder add --title "Cancel roaming eSIM" --org Batelco --submitted 2026-03-01 \\
          --kind sim-cancellation --reference BT-48213 --channel hotline
      reminder add --title "Refund" --org DB --country DE --subdivision BY --submitted 2026-03-02 --json
    """
    use_holiday_cache(ctx)
    from .. import api
    from ..plan import parse_remind_overrides

    fields["remind"] = parse_remind_overrides(fields.get("remind") or ())
    now = utc_now()
    settings = settings_from(ctx)
    store = store_for(ctx)
    case = api.add_case(
        store,
        settings,
        now=now,
        title=title,
        organisation=organisation,
        submitted=submitted,
        refuse_future=not future,
        channels=channels,
        closures=_parse_closures(closures),
        kind=kind or "other",
        unit=unit,  # type: ignore[arg-type]
        **fields,
    )
    # Added all the same (nothing typed is refused or lost): a second add of one request, after
    # an error that left it unclear whether the first went in, is said, not silently doubled.
    lookalike = store.open_lookalike(case)
    meant = _channels_meant(case.channels)
    view = view_after_write(ctx, store, case.id, now)
    if as_json:
        data = case_json(view)
        if lookalike is not None:
            data["possible_duplicate_of"] = lookalike[0]
        if meant:
            data["channel_suggestions"] = meant
        echo_json(data)
        return
    emit_case(view, as_json, _("Added case %(id)s.", id=case.id))
    if lookalike is not None:
        cmdline.echo(_lookalike_note(case.id, *lookalike), err=True)
    _say_channels_meant(meant)


def _channels_meant(channels: Sequence[str]) -> dict[str, list[str]]:
    """Each channel reminder does not know that is a slip of one it knows ('emial': ['email']).
    Kept as typed all the same (a channel is free text), but a letter says a known one in its
    own words ("by e-mail", in Arabic too) and any other as typed ("via emial")."""
    from ..labels import channel_lookalikes

    found = {c: channel_lookalikes(c) for c in channels}
    return {c: guesses for c, guesses in found.items() if guesses}


def _say_channels_meant(meant: dict[str, list[str]]) -> None:
    from ..i18n import alternatives

    for typed, guesses in meant.items():
        note = _(
            "note: channel %(channel)s is not one reminder knows; did you mean %(guesses)s?",
            channel=repr(typed),
            guesses=alternatives(guesses),
        )
        cmdline.echo(_t(note), err=True)


def _lookalike_note(case_id: str, other: str, why: str) -> str:
    if why == "reference":
        return _(
            "note: this looks like case %(other)s, open with the same organisation and reference;"
            " if you added it twice by mistake: reminder delete %(id)s --yes",
            other=other,
            id=case_id,
        )
    return _(
        "note: this looks like case %(other)s, open with the same organisation, title and day of submission;"
        " if you added it twice by mistake: reminder delete %(id)s --yes",
        other=other,
        id=case_id,
    )


@cmdline.command("list", cls=TranslatedHelp)
@cmdline.option(
    "--status",
    type=cmdline.Choice(["open", "closed", "all"]),
    default="open",
    show_default=True,
    help="Which cases to list.",
)
@cmdline.option("--due-before", type=ISO_DATE, help="Only cases whose deadline is on or before this date.")
@json_option
@cmdline.pass_context
def list_command(ctx: cmdline.Context, status: str, due_before: date | None, as_json: bool) -> None:
    """List cases by deadline, with the days left.

    \b
    Example:
      reminder list
      reminder list --status all --due-before 2026-04-01 --json
    """
    from .. import api
    from ..case_table import cases_table_chunks
    from ..paths import store_path_fast

    # For scripts, only the store's path is read from the config (validating it all would cost
    # more than listing 10,000 cases); people get the whole config checked.
    path = store_path_fast(config_arg(ctx)) if as_json else None  # None: as the settings say
    store = store_for(ctx, path)
    filters: dict[str, Any] = {"status": status, "due_before": due_before}
    if as_json:
        # Megabytes for 10,000 cases: the stored documents as they are, through one buffer on
        # stdout's descriptor (a document at a time, never a whole string decoded and encoded).
        _write_list_json(store, now=utc_now(), **filters)
        return
    cases = api.list_case_columns(store, now=utc_now(), **filters)
    if not cases.ids:
        if status == "closed":
            cmdline.echo(_("No closed cases."))
        elif status == "open":
            cmdline.echo(_("No open cases. Add one with 'reminder add'."))
        else:
            cmdline.echo(_("No cases. Add one with 'reminder add'."))
        return
    for chunk in cases_table_chunks(cases):
        sys.stdout.write(chunk)


def _write_list_json(store: Store, **filters: Any) -> None:
    """``list --json`` to stdout: the stored documents as bytes, as they are (terminal.stdout_bytes);
    as text where stdout takes only text (the text layer then re-encodes them)."""
    from .. import api

    with stdout_bytes() as write:
        if write is not None:
            api.write_cases_json(store, write, **filters)
            return
    sys.stdout.write(api.list_cases_json(store, **filters) + "\n")


@cmdline.command("show", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.option(
    "--explain", is_flag=True, help="Also list every day of the window and why it counted or not."
)
@json_option
@cmdline.pass_context
def show_command(ctx: cmdline.Context, case_id: str, explain: bool, as_json: bool) -> None:
    """Show everything about a case: its window, checklist and status.

    \b
    Example:
      reminder show k7m2qx
      reminder show k7m2qx --explain
      reminder show k7m2qx --json
    """
    from .. import api

    if explain:  # the window is worked out again, day by day: from the kept holiday data, as `window` does
        use_holiday_cache(ctx)
    store = store_for(ctx)
    view = api.get_case_view(store, settings_from(ctx), case_id, now=utc_now(), explain=explain)
    # Who holds a reminder being sent, and whether it still runs, as status says it: a daemon
    # killed mid-send leaves its rows `sending` (asked only when there is one).
    sending = None
    if view.reminders and any(r["status"] == "sending" for r in view.reminders):
        sending = api.sending_holders(store, store.data_dir, view.case.id)
    if as_json:
        data = case_json(view)
        if sending is not None:  # each row being sent gets status --json's next.held_by
            for r in data["reminders"]:
                if (r["key"], r["notifier"]) in sending[1]:
                    r["held_by"] = sending[1][r["key"], r["notifier"]]
        if explain and view.window is not None:
            from ..window import window_to_dict

            data["window"]["days"] = window_to_dict(view.window).get("days", [])
        echo_json(data)
        return
    print_case(view, explain=explain, sending=sending)


@cmdline.command("presets", cls=TranslatedHelp)
@json_option
@cmdline.pass_context
def presets_command(ctx: cmdline.Context, as_json: bool) -> None:
    """List the escalation presets (built in and the config's) with their steps and sources.

    A case takes one with `reminder add … --preset NAME`; after its deadline its reminders
    include the preset's steps.

    \b
    Example:
      reminder presets
      reminder presets --json
    """
    from ..presets import presets_listing

    presets = settings_from(ctx).presets
    if as_json:
        echo_json(presets_listing(presets))
        return
    # For people: the shipped texts in their language, the config's own as written.
    for i, (name, preset) in enumerate(sorted(presets.items())):
        cmdline.echo(("\n" if i else "") + name + (f" — {localised(preset.title)}" if preset.title else ""))
        for rule in preset.steps:
            period = ""
            if rule.valid_from:
                period += _(" (for requests from %(day)s)", day=rule.valid_from.isoformat())
            if rule.valid_until:
                period += _(" (for requests before %(day)s)", day=rule.valid_until.isoformat())
            step = _("%(when)s: %(step)s", when=rule.describe_for_people(), step=localised(rule.step))
            cmdline.echo(f"  {step}{period}")
            if rule.source:
                cmdline.echo(_("    source: %(source)s", source=localised(rule.source)))
        if preset.source:
            cmdline.echo(_("  source: %(source)s", source=localised(preset.source)))


@cmdline.command("edit", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.option("--title", type=cmdline.NONEMPTY, help="New title.")
@cmdline.option("--org", "organisation", type=cmdline.NONEMPTY, help="New organisation.")
@cmdline.option("--submitted", type=SUBMITTED, help="Corrected submission date (and time), as for add.")
@FUTURE_OPTION
@_case_options
@json_option
@cmdline.pass_context
def edit_command(
    ctx: cmdline.Context,
    /,
    case_id: str,
    submitted: Moment | None,
    channels: tuple[str, ...],
    closures: tuple[str, ...],
    future: bool,
    as_json: bool,
    **changes: Any,
) -> None:
    """Correct a case; the window is recomputed. An empty value clears a field.

    --channel and --closure replace the case's list when given.

    \b
    Example:
      reminder edit k7m2qx --submitted 2026-03-02 --reference BT-48213
      reminder edit k7m2qx --notes ""        # clear the notes
    """
    use_holiday_cache(ctx)
    from .. import api

    if submitted is not None:
        changes["submitted"] = submitted
    if channels:
        changes["channels"] = tuple(c for c in channels if c.strip())
    if closures:
        changes["closures"] = _parse_closures([c for c in closures if c.strip()])
    remind = changes.pop("remind", ())
    if remind:
        from ..plan import parse_remind_overrides

        changes["remind"] = {} if list(remind) == ["reset"] else parse_remind_overrides(remind)
    now = utc_now()
    store = store_for(ctx)
    case = api.edit_case(store, settings_from(ctx), case_id, now=now, refuse_future=not future, **changes)
    meant = _channels_meant(case.channels) if channels else {}
    view = view_after_write(ctx, store, case.id, now)
    if as_json and meant:
        echo_json({**case_json(view), "channel_suggestions": meant})
        return
    emit_case(view, as_json, _("Updated case %(id)s.", id=case.id))
    _say_channels_meant(meant)


@cmdline.command("close", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.option(
    "--resolution",
    type=cmdline.NONEMPTY,
    help="What happened, e.g. 'cancelled, confirmation letter received'.",
)
@json_option
@cmdline.pass_context
def close_command(ctx: cmdline.Context, case_id: str, resolution: str | None, as_json: bool) -> None:
    """Close a case: its reminders stop.

    \b
    Example:
      reminder close k7m2qx --resolution "cancelled; letter BT-48213 received"
    """
    from .. import api

    now = utc_now()
    store = store_for(ctx)
    case = api.close_case(store, settings_from(ctx), case_id, now=now, resolution=resolution)
    emit_case(view_after_write(ctx, store, case.id, now), as_json, _("Closed case %(id)s.", id=case.id))


@cmdline.command("reopen", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@json_option
@cmdline.pass_context
def reopen_command(ctx: cmdline.Context, case_id: str, as_json: bool) -> None:
    """Reopen a closed case: its reminders resume.

    \b
    Example:
      reminder reopen k7m2qx
    """
    use_holiday_cache(ctx)
    from .. import api

    now = utc_now()
    store = store_for(ctx)
    case = api.reopen_case(store, settings_from(ctx), case_id, now=now)
    emit_case(view_after_write(ctx, store, case.id, now), as_json, _("Reopened case %(id)s.", id=case.id))


@cmdline.command("delete", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.option("--yes", is_flag=True, help="Really delete: the case and everything stored with it.")
@json_option
@cmdline.pass_context
def delete_command(ctx: cmdline.Context, case_id: str, yes: bool, as_json: bool) -> None:
    """Delete a case for good (to keep its record, close it instead).

    \b
    Example:
      reminder delete k7m2qx --yes
    """
    from .. import api

    if not yes:
        raise cmdline.UsageError(
            _("refusing to delete without --yes (to keep the record, use 'reminder close')")
        )
    case = api.delete_case(store_for(ctx), settings_from(ctx), case_id, now=utc_now())
    if as_json:
        echo_json({"deleted": case.id, "title": case.title})
    else:
        cmdline.echo(_("Deleted case %(id)s (%(title)s).", id=case.id, title=_t(case.title)))


@cmdline.command("check", cls=TranslatedHelp)
@cmdline.argument("case_id", metavar="ID")
@cmdline.argument("item")
@cmdline.option("--undo", is_flag=True, help="Untick the item instead.")
@json_option
@cmdline.pass_context
def check_command(ctx: cmdline.Context, case_id: str, item: str, undo: bool, as_json: bool) -> None:
    """Tick a checklist item, by its number or by words from its text.

    The words match an item's text in English or as it is shown, in any case:
    an item that starts with them first, else one that holds them anywhere.

    \b
    Example:
      reminder check k7m2qx 2
      reminder check k7m2qx "back up"
      reminder check k7m2qx 2 --undo
    """
    from .. import api

    now = utc_now()
    store = store_for(ctx)
    ticked, changed = api.check_item(store, case_id, item, now=now, undo=undo)
    view = view_after_write(ctx, store, case_id, now)
    if as_json:
        echo_json(case_json(view))
        return
    text = _t(localised(ticked.text))
    if undo and changed:
        cmdline.echo(_("Unticked %(n)d. %(text)s", n=ticked.position, text=text))
    elif undo:
        cmdline.echo(_("Was not ticked: %(n)d. %(text)s", n=ticked.position, text=text))
    elif changed:
        cmdline.echo(_("Ticked %(n)d. %(text)s", n=ticked.position, text=text))
    else:
        cmdline.echo(_("Already ticked: %(n)d. %(text)s", n=ticked.position, text=text))
    left = [i for i in view.case.checklist if not i.done]
    total = len(view.case.checklist)
    cmdline.echo(
        ngettext("%(n)d of %(total)d items left.", "%(n)d of %(total)d items left.", len(left), total=total)
        if left
        else _("Checklist complete.")
    )
