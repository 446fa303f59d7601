"""``reminder backup`` and ``reminder db``: copies and the schema of the store."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..errors import InputError
from ..i18n import _, ngettext, pgettext
from .common import (
    echo_json,
    json_option,
    open_configured_store,
    settings_from,
    tell_daemon_of_migration,
    utc_now,
)
from .group import ReminderGroup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..pidlock import PidLock


@cmdline.command("backup", cls=TranslatedHelp)
@cmdline.argument("path", required=False, type=cmdline.Path())
@json_option
@cmdline.pass_context
def backup_command(ctx: cmdline.Context, path: Path | None, as_json: bool) -> None:
    """Copy the database (consistently, even while the daemon runs) and the attachments.

    PATH is a new directory (default: ./reminder-backup-YYYYmmdd-HHMMSS). To restore, stop
    the daemon and point the config's [store] path (or $REMINDER_STORE__PATH) at the
    backup's reminder.db, or copy reminder.db and attachments/ back into the data directory.

    \b
    Example:
      reminder backup
      reminder backup /media/usb/reminder-2026-03 --json
    """
    from ..backup import backup
    from ..evidence_key import KeyDir

    settings = settings_from(ctx)
    if settings.store.url is not None:
        from ..backends import redact_url

        # What to do instead, whole: the database with pg_dump, and the evidence key, which no
        # dump of the database holds (the one thing pg_dump alone would leave out).
        raise InputError(
            _(
                "backup copies a SQLite store: back up the PostgreSQL database %(url)s with pg_dump (its "
                "attachments are in it), and keep a copy of the evidence key %(key)s apart from it, like a "
                "password: the key is not in the database",
                url=redact_url(settings.store.url),
                key=KeyDir.default().key_path,
            )
        )
    report = backup(settings.store.path, path, now=utc_now(), keys=KeyDir.default())
    if as_json:
        from dataclasses import asdict

        echo_json(asdict(report))
        return
    cmdline.echo(_("Backed up to %(path)s", path=report.path))
    cmdline.echo(
        _(
            "  %(name)s: %(cases)d cases, %(evidence)d evidence entries, integrity %(integrity)s",
            name=report.database.name,
            cases=report.cases,
            evidence=report.evidence,
            # SQLite's "ok" in the user's words; anything else is SQLite's report, as it said it.
            integrity=pgettext("integrity check", "ok") if report.integrity == "ok" else report.integrity,
        )
    )
    cmdline.echo(
        _(
            "  attachments/: %(files)s, %(size)s bytes",
            files=ngettext("%(n)d file", "%(n)d files", report.attachments),
            size=f"{report.attachment_bytes:,}",
        )
    )
    for name in report.skipped:
        cmdline.echo(_("  skipped attachments/%(name)s: not a regular file", name=name))
    cmdline.echo(_('Restore: stop the daemon, set [store] path = "%(db)s" in the config', db=report.database))
    cmdline.echo(
        _("(or REMINDER_STORE__PATH), or copy reminder.db and attachments/ back into the data directory.")
    )
    key = report.evidence_key
    if key is not None and key.exists:
        cmdline.echo(
            _(
                "The evidence key is not in the backup, on purpose: keep a copy of %(path)s apart from "
                "it, like a password; without the key, the evidence log's seal cannot be verified after "
                "a restore.",
                path=key.path,
            )
        )
    elif key is not None and report.evidence:
        cmdline.echo(
            _(
                "The evidence key is not in the backup, and there is none at %(path)s: the evidence "
                "log's seal can only be verified with the key it was made with; keep that key apart "
                "from the backup.",
                path=key.path,
            )
        )


@cmdline.group("db", cls=ReminderGroup)
def db_group() -> None:
    """Bring the database's schema up to date, or copy a SQLite store into PostgreSQL.

    \b
    Example:
      reminder db migrate
      reminder db copy --to postgresql://reminder@db.example:5432/reminder
    """


@db_group.command("migrate")
@json_option
@cmdline.pass_context
def db_migrate_command(ctx: cmdline.Context, as_json: bool) -> None:
    """Apply the schema migrations the database still needs (every command does it on its
    own; this does it on purpose, say after an upgrade, before the daemons start again).
    On PostgreSQL it runs under a lock, so two machines never migrate at once.

    \b
    Example:
      reminder db migrate
      REMINDER_STORE__URL=postgresql://reminder@db/reminder reminder db migrate --json
    """
    with open_configured_store(settings_from(ctx), migrate=False) as store:
        before = store.migrate()
        after = store.schema_version
        where = store.location
    tell_daemon_of_migration(store)
    if as_json:
        echo_json({"version": 1, "database": where, "schema_before": before, "schema": after})
        return
    if before == after:
        cmdline.echo(_("%(db)s: schema version %(n)d, up to date", db=where, n=after))
    else:
        cmdline.echo(_("%(db)s: migrated from schema version %(a)d to %(b)d", db=where, a=before, b=after))


@db_group.command("copy")
@cmdline.option("--to", "target", required=True, metavar="URL", help="The PostgreSQL database to copy into.")
@cmdline.option(
    "--password-file",
    metavar="PATH",
    help="A file holding the target's password, only you may read (chmod 600), as [store] password_file.",
)
@cmdline.option(
    "--password-env",
    metavar="NAME",
    help="The environment variable holding the target's password (else PGPASSWORD or ~/.pgpass).",
)
@cmdline.option(
    "--force", is_flag=True, help="Copy into a database that is not empty, adding only what is missing."
)
@json_option
@cmdline.pass_context
def db_copy_command(
    ctx: cmdline.Context,
    target: str,
    password_file: str | None,
    password_env: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Copy the configured SQLite store into a PostgreSQL database: every case, checklist,
    outbox row, evidence entry and attachment. The evidence chains are verified on the copy
    and the counts printed. Then set [store] url to the new database on every machine.

    \b
    Example:
      reminder db copy --to postgresql://reminder@db.example:5432/reminder
      reminder db copy --to postgresql://reminder@db.example/reminder --password-file ~/.reminder-db
    """
    import os

    from ..backends import PasswordFileError, read_password_file, redact_url, store_key_error
    from ..config import checked_store_url
    from ..dbcopy import copy_store
    from ..errors import ConfigError, StoreRefused
    from ..evidence_key import KeyDir
    from ..store import Store, open_store
    from ..store_refusal import hinted
    from ..validation_text import at

    try:
        target = checked_store_url(target)
    except ValueError as exc:  # the same checks as [store] url: exit 2, before any connection
        raise cmdline.BadParameter(str(exc), param_hint="'--to'") from None
    if password_file and password_env:
        raise InputError(_("give the target's password with --password-file or --password-env, not both"))
    password = None
    if password_file:
        try:  # read as [store] password_file is: a private regular file, UTF-8, not empty
            password = read_password_file(os.path.expanduser(password_file))
        except PasswordFileError as exc:
            raise InputError(at("--password-file", str(exc))) from None
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise ConfigError(_("--password-env: the variable $%(name)s is not set", name=password_env))
        if not password:  # never an empty password, as the store's password_env
            raise ConfigError(_("--password-env: the variable $%(name)s is empty", name=password_env))
    settings = settings_from(ctx)
    # What the configured store is, before connecting anywhere: a PostgreSQL one (down, or with no
    # password here) would otherwise be the error, and a missing SQLite file would be made, empty.
    origin = None if settings.source is None else str(settings.source)
    if settings.store.url is not None:
        raise store_key_error(
            origin,
            "url",
            _(
                "db copy copies a SQLite store, and %(url)s is a PostgreSQL database: run db copy with "
                "the config whose [store] path names the SQLite file, without url",
                url=redact_url(settings.store.url),
            ),
        )
    sqlite_path = settings.store.path_text("path")
    assert sqlite_path is not None  # the model's default
    if not os.path.exists(sqlite_path):
        raise store_key_error(
            origin, "path", _("there is no SQLite store to copy at %(path)s", path=sqlite_path)
        )
    lock = _daemon_lock_held(sqlite_path)
    try:
        with open_store(settings) as source:
            try:
                into = Store(source.path, url=target, password=password)
            except StoreRefused as exc:
                if not exc.no_password:
                    raise
                hint = _(
                    "the server asks for a password and was given none: pass --password-file PATH or "
                    "--password-env NAME, or use PGPASSWORD or ~/.pgpass"
                )
                raise hinted(exc, hint) from None
            with into:
                report = copy_store(
                    source, into, data_dir=source.path.parent, keys=KeyDir.default(), force=force
                )
    finally:
        lock.release()
    if as_json:
        from dataclasses import asdict

        echo_json({"version": 1, **asdict(report)})
    else:
        cmdline.echo(_("Copied %(source)s into %(target)s:", source=report.source, target=report.target))
        # The tables a person knows, by what they hold (--json keeps every table, by name): not
        # meta (reminder's own, which the target writes for itself: always 0) nor evidence_heads
        # (one per evidence log, which the verified count below says).
        rows = report.rows
        cmdline.echo(_("  cases: %(n)d", n=rows.get("cases", 0)))
        cmdline.echo(_("  checklist items: %(n)d", n=rows.get("checklist_items", 0)))
        cmdline.echo(_("  reminders: %(n)d", n=rows.get("deliveries", 0)))
        cmdline.echo(_("  evidence entries: %(n)d", n=rows.get("evidence", 0)))
        cmdline.echo(
            _(
                "  attachments: %(files)s, %(size)s bytes",
                files=ngettext("%(n)d file", "%(n)d files", report.attachments),
                size=f"{report.attachment_bytes:,}",
            )
        )
        cmdline.echo(_("  evidence logs verified on the copy: %(n)d", n=report.verified))
        for problem in report.problems:
            cmdline.echo(_("  problem: %(problem)s", problem=problem), err=True)
        if not report.problems:
            _after_copy(ctx, report.source, report.target)
    if report.problems:
        sys.exit(1)


def _daemon_lock_held(sqlite_path: str) -> PidLock:
    """The daemon's lock on the SQLite store, taken for the copy's length: a daemon running on it
    goes on sending from it after the copy, and each reminder it sends then is still due in the copy,
    so it is sent again once the config names the copy. So the copy waits until the daemon is
    stopped, and a daemon that starts during the copy (systemd restarting it) is refused until the
    copy is done. Its lock is beside the file (pidlock.py)."""
    import os

    from ..errors import AlreadyRunning, StoreError
    from ..pidlock import PidLock

    lock = PidLock(os.path.dirname(os.path.abspath(os.path.expanduser(sqlite_path))))
    try:
        lock.acquire(copy=True)
    except AlreadyRunning as exc:
        if exc.by_copy:
            raise  # another copy of this store, which it names
        if exc.pid is None:
            raise StoreError(
                _(
                    "a reminder daemon is running on %(path)s: what it sends after the copy would be "
                    "sent again from the copy; stop it first (`systemctl --user stop reminder`), then copy",
                    path=sqlite_path,
                )
            ) from None
        raise StoreError(
            _(
                "a reminder daemon is running on %(path)s (pid %(pid)d): what it sends after the copy "
                "would be sent again from the copy; stop it first (`systemctl --user stop reminder`, or "
                "`kill %(pid)d`), then copy",
                path=sqlite_path,
                pid=exc.pid,
            )
        ) from None
    return lock


def _after_copy(ctx: cmdline.Context, sqlite_path: str, target: str) -> None:
    """What a copy leaves to the person: the SQLite store is still the one in use (and kept, never
    deleted: it is the way back), until the config names the new database."""
    from ..paths import config_location

    config = config_location(ctx.find_root().ensure_object(dict).get("config_path")).path
    cmdline.echo(
        _(
            "The SQLite store is kept as it was: %(path)s. reminder goes on using it until the config "
            "names the new database:",
            path=sqlite_path,
        )
    )
    cmdline.echo(
        _(
            'stop the daemon, set [store] url = "%(url)s" in %(config)s (on every machine that shares it, '
            "with password_file or password_env if the server asks for a password), then start the "
            "daemon again; keep the SQLite file as a backup.",
            url=target,
            config=config,
        )
    )
