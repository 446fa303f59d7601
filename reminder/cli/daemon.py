"""``reminder daemon``, ``status`` and ``service``: the background sender and its systemd unit."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..cli_labels import (
    delivery_error,
    reminder_label,
    reminder_status,
)
from ..errors import ReminderError, StoreError
from ..i18n import _, format_date, joined_clauses, ngettext
from ..terminal import escape_controls as _t
from ..tz import zone as _zone
from .common import (
    echo_json,
    fail,
    json_option,
    load_settings_for,
    refusal_for_command,
    settings_from,
    tell_daemon_of_migration,
    utc_now,
)
from .group import ReminderGroup


def _setup_logging(verbose: int) -> None:
    import logging

    from ..logs import setup_daemon_logging

    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose == 1 else logging.WARNING
    setup_daemon_logging(level, apscheduler_level=logging.DEBUG if verbose > 1 else logging.WARNING)


@cmdline.command("daemon", cls=TranslatedHelp)
@cmdline.option("--once", is_flag=True, help="Send what is due now, then exit (for cron and tests).")
@cmdline.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@json_option
@cmdline.pass_context
def daemon_command(ctx: cmdline.Context, once: bool, verbose: int, as_json: bool) -> None:
    """Run the reminder daemon in the foreground (systemd runs it this way).

    It sends each reminder when it falls due, through every configured notifier,
    and sleeps in between. Signals: SIGTERM/SIGINT stop it within 10 s (the send
    in flight finishes, or goes again at the next start); SIGHUP reloads the
    config file and re-plans every case. Only one daemon runs per data directory.

    \b
    Example:
      reminder daemon            # until stopped; `reminder service install` runs it under systemd
      reminder daemon --once     # send what is due now and exit (cron)
    """
    from ..daemon import Daemon

    _setup_logging(max(verbose, 0 if once else 1))
    config_path = ctx.find_root().ensure_object(dict).get("config_path")
    # The log file first, then the daemon, on these same settings: what building its notifiers
    # logs (a password_file readable by others) goes to the file too. A reload reads them again.
    first = [load_settings_for(config_path)]
    log_file, source = first[0].daemon.log_file, first[0].source
    if log_file is not None:
        from ..logs import add_log_file

        log_file = log_file.expanduser()
        if not log_file.is_absolute() and source is not None:
            log_file = source.parent / log_file  # as notifiers' paths: relative to the config file
        add_log_file(log_file, key=f"{source}: daemon.log_file" if source else "daemon.log_file")
    daemon = Daemon(lambda: first.pop() if first else load_settings_for(config_path))
    if once:
        report = daemon.run_once()
        if as_json:
            echo_json(
                {
                    "sent": report.sent,
                    "retried": report.retried,
                    "failed": report.failed,
                    "superseded": report.superseded,
                }
            )
        else:
            cmdline.echo(
                _(
                    "%(sent)d sent, %(retried)d to retry, %(failed)d failed, "
                    "%(superseded)d folded into catch-up messages",
                    sent=report.sent,
                    retried=report.retried,
                    failed=report.failed,
                    superseded=report.superseded,
                )
            )
        if report.failed:
            sys.exit(1)
        return
    daemon.serve()


@cmdline.command("status", cls=TranslatedHelp)
@json_option
@cmdline.pass_context
def status_command(ctx: cmdline.Context, as_json: bool) -> None:
    """Show whether the daemon runs, the next reminder due, and reminders by status.

    \b
    Example:
      reminder status
      reminder status --json | jq .next_due
    """
    from .. import api
    from ..store import open_store

    settings = settings_from(ctx)
    config = None if settings.source is None else str(settings.source)
    try:
        with open_store(settings) as store:
            info = api.reminder_status(store, store.data_dir)
    except StoreError as exc:
        said = refusal_for_command(settings, exc)  # a refused login: the config's error, exit 2
        if settings.store.url is not None:
            # What is known without the database: the daemons on this machine (their lock files).
            here = _daemons_here(settings.store.path_text("path"))
            if as_json:
                echo_json(_status_without_database(settings.store.url, config, here, str(said)))
            else:
                _daemons_here_only(here)
        if said is exc:
            raise  # its one line: why the database could not be asked (with --json too, on stderr)
        raise said from None
    tell_daemon_of_migration(store)
    if as_json:
        echo_json({**info, "config": config})
        return
    daemons = info["daemons"]
    assert isinstance(daemons, dict)
    if daemons["shared"]:
        _shared_daemons(daemons["here"], daemons["connected"])
    elif info["running"]:
        cmdline.echo(_("daemon:    running (pid %(pid)s)", pid=info["pid"]))
    else:
        cmdline.echo(_("daemon:    not running"))
    nxt = info["next"]
    if isinstance(nxt, dict):
        at = datetime.fromisoformat(str(nxt["at"]))
        cmdline.echo(
            _(
                "next due:  %(at)s %(timezone)s — %(kind)s for %(case)s (%(title)s) by %(notifier)s",
                at=format_date(at, style="datetime"),
                timezone=nxt["timezone"],
                kind=reminder_label(str(nxt["kind"]), str(nxt["key"]), nxt["preset"]),
                case=nxt["case"],
                title=_t(str(nxt["title"])),
                notifier=nxt["notifier"],
            )
        )
        if nxt.get("status") == "sending":
            _sending(nxt, info["running"])
        elif info["running"] is False and at <= utc_now():
            # systemd where there is one; without it (a container, WSL) the daemon runs as it is.
            cmdline.echo(
                _(
                    "           already due, and no daemon runs: 'reminder service install' "
                    "(or 'reminder daemon')"
                )
            )
    else:
        cmdline.echo(_("next due:  nothing planned"))
    counts = info["counts"]
    assert isinstance(counts, dict)
    shown = joined_clauses(
        _("%(n)d %(status)s", n=n, status=reminder_status(status)) for status, n in counts.items()
    )
    cmdline.echo(_("reminders: %(counts)s", counts=shown))
    retry = info["retrying"]
    assert isinstance(retry, dict)
    if retry["count"]:
        # Stored in English, said in the user's language (a server's reply as it came, which can
        # span lines): one line, cut short.
        error = " ".join(delivery_error(str(retry["error"])).split())
        if len(error) > 200:
            error = error[:199] + "…"
        cmdline.echo(
            _t(
                ngettext(
                    "retrying:  %(n)d reminder waits for a retry; last error (%(notifier)s): %(error)s",
                    "retrying:  %(n)d reminders wait for a retry; last error (%(notifier)s): %(error)s",
                    retry["count"],
                    n=retry["count"],
                    notifier=retry["notifier"],
                    error=error,
                )
            )
        )
    held = info["held"]
    assert isinstance(held, list)
    _held(held)
    if info["failed_open"]:  # a closed case's failed reminders need nothing: no hint for them alone
        cmdline.echo(
            _(
                "Some reminders failed for good; see `reminder show ID` and `reminder notify test`, "
                "then `reminder notify retry` sends them again."
            )
        )


def _sending(nxt: dict[str, object], running: object) -> None:
    """``status``'s line under a next reminder being sent (:func:`sending_note`)."""
    note = sending_note(nxt.get("held_by"), running, str(nxt["timezone"]))
    if note is not None:
        cmdline.echo(note)


def sending_note(held: object, running: object, timezone: str) -> str | None:
    """What ``status`` says under a reminder being sent, and ``show`` under each of a case's:
    whether a running daemon holds it (one killed mid-send leaves it ``sending``) and, if none
    does, when it goes again: once the lease of the one that took it passes (a shared store), or at
    a daemon's next pass or start (SQLite has no lease). ``held``: its holder, as ``status --json``'s
    ``next.held_by`` (None: none recorded); ``running``: whether any daemon runs; ``timezone``: the
    case's, which the time is given in. None where nothing is known (a shared store's daemons)."""
    holder = held["running"] if isinstance(held, dict) else running
    if holder is None or running is None:  # a shared store whose daemons cannot be known
        return None
    if holder:
        if isinstance(held, dict) and held.get("pid") is not None:
            # Which one: with several daemons on a shared store, "the daemon" says nothing.
            return _t(
                _(
                    "           being sent by the daemon with pid %(pid)s on %(host)s",
                    pid=held["pid"],
                    host=held["host"],
                )
            )
        return _("           being sent by the daemon")
    until = held.get("until") if isinstance(held, dict) else None
    if isinstance(held, dict) and until is not None and datetime.fromisoformat(str(until)) > utc_now():
        at = format_date(datetime.fromisoformat(str(until)).astimezone(_zone(timezone)), style="datetime")
        said = _(
            "           held by a daemon that is no longer running (pid %(pid)s on %(host)s): "
            "it goes again after %(at)s %(timezone)s",
            pid=held["pid"],
            host=held["host"],
            at=at,
            timezone=timezone,
        )
        return _t(said)
    if running:
        return _(
            "           left sending by a daemon that is no longer running: "
            "the daemon running now sends it again at its next pass"
        )
    return _("           left sending when a daemon stopped: it goes again when the daemon starts")


def _held(held: list[dict[str, object]]) -> None:
    """``status``'s line for the reminders held under the lease of daemons no longer running (a
    shared store): they go again when the last lease passes, not before."""
    now = utc_now()
    waiting = [
        (int(str(h["sending"])), datetime.fromisoformat(str(h["until"])))
        for h in held
        if h["running"] is False and h["until"] is not None and datetime.fromisoformat(str(h["until"])) > now
    ]
    if not waiting:
        return
    n = sum(count for count, _until in waiting)
    left = _within(max(until for _count, until in waiting) - now)
    cmdline.echo(
        ngettext(
            "held:      %(n)d reminder is held by a daemon that is no longer running; "
            "it goes again in %(left)s",
            "held:      %(n)d reminders are held by daemons that are no longer running; "
            "they go again within %(left)s",
            n,
            n=n,
            left=left,
        )
    )


def _shared_daemons(here: list[int], connected: list[dict[str, object]] | None) -> None:
    """``status``'s daemon lines on a shared store: those on this machine, then every one the
    database has connected, with when each last did something (reminder/presence.py)."""
    if here:
        cmdline.echo(_("daemon:    running on this machine (pid %(pid)s)", pid=", ".join(map(str, here))))
    elif connected:
        cmdline.echo(_("daemon:    running, not on this machine"))
    elif connected is None:
        cmdline.echo(_("daemon:    not running on this machine; unknown elsewhere"))
    else:
        cmdline.echo(_("daemon:    not running"))
    if connected is None:
        cmdline.echo(_("daemons:   the database does not say which daemons are connected to it"))
        return
    if not connected and not here:
        return
    cmdline.echo(_("daemons:   %(n)d connected to the database", n=len(connected)))
    now = utc_now()
    for daemon in connected:
        active = daemon["last_active"]
        ago = _ago(now - datetime.fromisoformat(str(active))) if active else _("unknown")
        named = {"host": daemon["host"], "pid": daemon["pid"], "ago": ago}
        cmdline.echo(
            _t(
                _("           %(host)s pid %(pid)s (this machine): last active %(ago)s", **named)
                if daemon["here"]
                else _("           %(host)s pid %(pid)s: last active %(ago)s", **named)
            )
        )
    seen = {daemon["pid"] for daemon in connected if daemon["here"]}
    for pid in here:
        if pid not in seen:  # waiting for the server, or refused by it: its log says which
            cmdline.echo(_("           pid %(pid)s (this machine): not connected to the database", pid=pid))


def _daemons_here(store_path: str | None) -> list[int]:
    """The daemons running on this machine, by their lock files in ``[store] path``'s directory."""
    import os

    from ..pidlock import running_pids

    return running_pids(os.path.dirname(os.path.abspath(store_path))) if store_path else []


def _daemons_here_only(here: list[int]) -> None:
    """``status``'s daemon lines on a shared store that could not be asked (down, refusing): the
    daemons running on this machine, which their lock files tell (waiting for the server: their
    log says so), before the error says why nothing more is known."""
    if here:
        cmdline.echo(_("daemon:    running on this machine (pid %(pid)s)", pid=", ".join(map(str, here))))
    else:
        cmdline.echo(_("daemon:    not running on this machine; unknown elsewhere"))
    cmdline.echo(_("daemons:   unknown elsewhere: the database could not be asked (the error says why)"))


def _within(left: timedelta) -> str:
    """A wait still to come, rounded up: "in 4 min" is never less than it will take."""
    seconds = max(1, -int(-left.total_seconds() // 1))
    if seconds < 120:
        return _("%(n)d s", n=seconds)
    if seconds < 120 * 60:
        return _("%(n)d min", n=-(-seconds // 60))
    return _("%(n)d h", n=-(-seconds // 3600))


def _status_without_database(url: str, config: str | None, here: list[int], error: str) -> dict[str, object]:
    """``status --json`` on a shared store that could not be asked: the same keys as when it can
    be, what needs the database None (``running`` too, unless a daemon runs here), and ``error``."""
    from ..backends import redact_url

    return {
        "running": True if here else None,
        "pid": here[0] if here else None,
        "daemons": {"shared": True, "here": here, "connected": None},
        "next_due": None,
        "next": None,
        "counts": None,
        "retrying": None,
        "failed_open": None,
        "held": None,
        "database": redact_url(url),
        "config": config,
        "error": error,
    }


def _ago(elapsed: timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    if seconds < 120:
        return _("%(n)d s ago", n=seconds)
    if seconds < 120 * 60:
        return _("%(n)d min ago", n=seconds // 60)
    return _("%(n)d h ago", n=seconds // 3600)


@cmdline.group("service", cls=ReminderGroup)
@cmdline.pass_context
def service_group(ctx: cmdline.Context) -> None:
    """Install, remove or inspect the systemd user service that runs the daemon.

    \b
    Example:
      reminder service install     # writes ~/.config/systemd/user/reminder.service and starts it
      reminder service status
    """
    # Loaded for the secrets its notifiers name, which the systemctl these commands run must
    # not inherit (childenv.py); a broken config does not stop `service uninstall`.
    import contextlib

    with contextlib.suppress(ReminderError):
        settings_from(ctx)


def _service_output(st: object, as_json: bool, done: str) -> None:
    from dataclasses import asdict

    data = asdict(st)  # type: ignore[call-overload]
    if as_json:
        echo_json(data)
        return
    cmdline.echo(done % {"path": data["unit_path"]})
    if data.get("config_path"):
        cmdline.echo(_("config: %(path)s", path=data["config_path"]))
    if data["systemd"]:
        cmdline.echo(
            _("active: %(active)s   enabled: %(enabled)s", active=data["active"], enabled=data["enabled"])
        )
    elif data["commands"]:
        cmdline.echo(_("No systemd user manager answers here; run these where it does:"))
        for cmd in data["commands"]:
            cmdline.echo(f"  {cmd}")
    for note in data.get("notes", []):
        cmdline.echo(_("Note: %(note)s", note=note))


@service_group.command("install")
@cmdline.option("--no-start", is_flag=True, help="Only write the unit file; do not enable or start it.")
@json_option
@cmdline.pass_context
def service_install(ctx: cmdline.Context, no_start: bool, as_json: bool) -> None:
    """Write the user unit (ExecStart = this reminder), enable it and start it.

    \b
    Example:
      reminder service install
      reminder --config ~/work-reminder.toml service install
    """
    from .. import systemd

    # The config in use, however it was found (--config, $REMINDER_CONFIG, the user's): the
    # service sees neither the flag nor the variable.
    settings = settings_from(ctx)
    st = systemd.install(settings.source, start=not no_start, notifier_tables=settings.notifiers)
    _service_output(st, as_json, _("unit written: %(path)s"))
    if st.errors:
        fail("; ".join(st.errors), 1, as_json)
    if not no_start and not st.systemd:
        fail(
            _(
                "the unit is written, but no systemd user manager answers here to enable and start it "
                "(run the commands above where one does, or pass --no-start to only write it)"
            ),
            1,
            as_json,
        )


@service_group.command("uninstall")
@json_option
def service_uninstall(as_json: bool) -> None:
    """Stop and disable the service and remove its unit file.

    \b
    Example:
      reminder service uninstall
    """
    from .. import systemd

    _service_output(systemd.uninstall(), as_json, _("unit removed: %(path)s"))


@service_group.command("status")
@json_option
def service_status(as_json: bool) -> None:
    """Whether the unit is installed, enabled and active.

    \b
    Example:
      reminder service status --json
    """
    from .. import systemd

    st = systemd.status()
    _service_output(st, as_json, _("unit: %(path)s") if st.installed else _("unit: %(path)s (not installed)"))
