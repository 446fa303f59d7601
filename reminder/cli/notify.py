"""``reminder notifiers``, ``reminder notify test`` and ``notify retry``: which channels reach you,
and sending again what failed for good."""

from __future__ import annotations

import sys
from datetime import datetime

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..cli_labels import (
    delivery_error,
    delivery_problem,
)
from ..i18n import _, ngettext, pgettext
from ..terminal import escape_controls as _t
from .common import (
    echo_json,
    json_option,
    pad,
    settings_from,
    store_for,
    utc_now,
)
from .group import ReminderGroup

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def notifier_warnings(ctx: cmdline.Context) -> None:
    """Print notifier warnings (a secret readable by others, …) as one line each on stderr.

    Failed deliveries are left out: the command reports those itself.
    """
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, "delivery_failure", False))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("reminder")
    logger.addHandler(handler)
    ctx.call_on_close(lambda: logger.removeHandler(handler))


def _notifier_sources(ctx: cmdline.Context) -> tuple[dict[str, dict[str, Any]], Path | None]:
    tables, config_file, _zone = _notifier_settings(ctx)
    return tables, config_file


def _notifier_settings(ctx: cmdline.Context) -> tuple[dict[str, dict[str, Any]], Path | None, str]:
    """The notifier tables, the config file they are from and [defaults] timezone."""
    notifier_warnings(ctx)
    settings = settings_from(ctx)
    return settings.notifiers, settings.source, settings.defaults.timezone


@cmdline.command("notifiers", cls=TranslatedHelp)
@json_option
@cmdline.pass_context
def notifiers_command(ctx: cmdline.Context, as_json: bool) -> None:
    """List every notifier (built-in and plugin): configured, enabled, available, and why not.

    A notifier is configured by a [notifiers.<name>] table in the config file;
    with none at all, reminders go to the log notifier. Plugins come from other
    installed packages (entry-point group "reminder.notifiers").

    \b
    Example:
      reminder notifiers
      reminder notifiers --json | jq '.[] | select(.available | not)'
    """
    from ..notifiers.check import list_notifiers

    tables, config_file = _notifier_sources(ctx)
    rows = list_notifiers(tables, config_file=config_file)
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    width = max(len(r.name) for r in rows)
    for row in rows:
        if row.configured:
            state = pgettext("notifier", "enabled") if row.enabled else pgettext("notifier", "disabled")
        elif row.name == "log" and row.enabled:
            state = pgettext("notifier", "default")
        else:
            state = pgettext("notifier", "not configured")
        ready = pgettext("notifier", "available") if row.available else pgettext("notifier", "unavailable")
        line = f"{row.name:<{width}}  {row.type:<8} {pad(state, 15)} {pad(ready, 12)}"
        if row.reason:
            line += f" {row.reason}"
        elif not row.configured and row.summary:
            line += f" {_(row.summary)}"  # a built-in's is marked for translation (N_)
        if row.source != "built-in":
            line += _(" [plugin: %(source)s]", source=row.source)
        cmdline.echo(_t(line.rstrip()))  # a reason can quote a path or a server


@cmdline.group("notify", cls=ReminderGroup)
def notify_group() -> None:
    """Check that reminders reach you, and send again those that failed.

    \b
    Example:
      reminder notify test
      reminder notify retry
    """


@notify_group.command("test")
@cmdline.option(
    "--notifier", "name", metavar="NAME", help="Test only this notifier (a table name or a type)."
)
@json_option
@cmdline.pass_context
def notify_test_command(ctx: cmdline.Context, name: str | None, as_json: bool) -> None:
    """Send a test message through each configured notifier and report OK or the exact problem.

    Problems are named: DNS, connection, timeout, TLS (certificate), authentication,
    recipient refused, no D-Bus session bus, no notification server on the bus. Exit
    status 1 if any notifier failed, 2 for an unknown notifier name or a broken config.

    \b
    Example:
      reminder notify test
      reminder notify test --notifier email --json
    """
    from ..notifiers.check import test_notifiers
    from ..tz import zone

    tables, config_file, timezone = _notifier_settings(ctx)
    # "Sent at" in the user's time ([defaults] timezone), as every reminder's times are: the
    # computer's clock is often UTC (a server, a container), which the reader would have to convert.
    now = datetime.now(zone(timezone))
    outcomes = test_notifiers(tables, now=now, only=name, config_file=config_file)
    if as_json:
        echo_json([o.to_dict() for o in outcomes])
    else:
        width = max((len(o.name) for o in outcomes), default=0)
        for o in outcomes:
            if o.ok:
                status = pgettext("notifier test", "OK")
            elif o.problem:
                status = _("FAILED (%(problem)s)", problem=delivery_problem(o.problem))
            else:
                status = pgettext("notifier test", "FAILED")
            detail = delivery_error(o.detail)  # a failure's in English, as the daemon logs it
            cmdline.echo(_t(f"{o.name:<{width}}  {pad(status, 20)} {detail}".rstrip()))  # a server's words
        if not outcomes:
            cmdline.echo(_("No notifier is enabled: every [notifiers.*] table has enabled = false."))
    if not outcomes or not all(o.ok for o in outcomes):
        sys.exit(1)


@notify_group.command("retry")
@cmdline.argument("case_id", metavar="[ID]", required=False)
@cmdline.option(
    "--notifier", "label", metavar="LABEL", help="Only this notifier's reminders (its table name)."
)
@json_option
@cmdline.pass_context
def notify_retry_command(ctx: cmdline.Context, case_id: str | None, label: str | None, as_json: bool) -> None:
    """Send again the reminders that failed for good.

    A reminder is marked failed after its last attempt ([reminders] max_attempts),
    or at once when a mail server refuses it for good (a wrong recipient, a policy,
    a password). `reminder show ID` says why; fix it, check with `reminder notify
    test`, then this hands them back to the running daemon, which it wakes. Each is
    the same reminder, sent with the same key (the e-mail's Message-ID), its
    attempts counted afresh. Only open cases' reminders are sent again: a closed
    case's no longer matter. With ID, only that case's; with --notifier, only that
    notifier's. --json gives the counts.

    \b
    Example:
      reminder notify test --notifier email    # the fix works
      reminder notify retry                    # every reminder that failed
      reminder notify retry k7m2qx --notifier email
    """
    from .. import api

    settings = settings_from(ctx)
    labels = [name for name, _kinds in api.notifier_routes(settings)]
    report = api.retry_failed(store_for(ctx), utc_now(), case_id=case_id, notifier=label, labels=labels)
    if as_json:
        echo_json(report.to_dict())
        return
    if report.retried:
        cmdline.echo(
            ngettext(
                "%(n)d reminder will be sent again.",
                "%(n)d reminders will be sent again.",
                report.retried,
                n=report.retried,
            )
        )
    elif report.closed or report.unconfigured:
        cmdline.echo(_("No reminder will be sent again."))
    else:
        cmdline.echo(_("No reminder has failed for good: there is nothing to send again."))
    if report.closed:
        cmdline.echo(
            ngettext(
                "%(n)d reminder of a closed case stays failed: a closed case's reminders no longer matter.",
                "%(n)d reminders of closed cases stay failed: a closed case's reminders no longer matter.",
                report.closed,
                n=report.closed,
            )
        )
    if report.unconfigured:
        cmdline.echo(
            ngettext(
                "%(n)d reminder of a notifier no longer in the config stays failed: nothing can send it.",
                "%(n)d reminders of notifiers no longer in the config stay failed: nothing can send them.",
                report.unconfigured,
                n=report.unconfigured,
            )
        )
