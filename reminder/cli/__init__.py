"""The ``reminder`` command line: thin commands over ``api.py``.

Each command parses its options, calls one library function and renders the
result (people-first text, or ``--json`` for scripts). Errors become one line
on stderr — ``{"error": …}`` with ``--json`` — and an exit status: 0 success,
1 an operation that failed, 2 bad input or configuration.

The commands live one area to a module (``cases``, ``evidence``, ``window``…) and
:data:`COMMANDS` says where: a command's module is imported only when that command
runs (or when the help lists them all), so ``reminder show`` never pays for the code
of ``letter`` or ``daemon``. What they share is in ``common``; the group that turns
errors into one line and loads the commands is in ``group``.
"""

from __future__ import annotations

from .. import __version__, cmdline
from ..terminal import writes_utf8
from .common import PROGRAM
from .group import ReminderGroup

TYPE_CHECKING = False  # not typing's: every command imports this module
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["COMMANDS", "cli", "main"]

# Each command's name → "module:function" in this package (a group's subcommands come with it).
COMMANDS = {
    "add": "cases:add_command",
    "backup": "database:backup_command",
    "check": "cases:check_command",
    "close": "cases:close_command",
    "config": "config:config_group",
    "countries": "window:countries_command",
    "daemon": "daemon:daemon_command",
    "db": "database:db_group",
    "delete": "cases:delete_command",
    "edit": "cases:edit_command",
    "evidence": "evidence:evidence_group",
    "export": "documents:export_command",
    "letter": "documents:letter_command",
    "list": "cases:list_command",
    "notifiers": "notify:notifiers_command",
    "notify": "notify:notify_group",
    "presets": "cases:presets_command",
    "reopen": "cases:reopen_command",
    "service": "daemon:service_group",
    "show": "cases:show_command",
    "status": "daemon:status_command",
    "window": "window:window_command",
}


@cmdline.group(
    cls=ReminderGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@cmdline.option(
    "--config",
    "config_path",
    type=cmdline.Path(dir_okay=False),
    help="Config file to read (default: $REMINDER_CONFIG, then the user config directory).",
)
@cmdline.version_option(__version__)
@cmdline.pass_context
def cli(ctx: cmdline.Context, config_path: Path | None) -> None:
    """Track submissions to organisations and remind you when their review is due.

    Record a case once (what you filed, with whom, when); reminder works out the
    review window in the business days of the right country and reminds you when
    it opens, before the deadline, at it, and after it until you close the case.

    \b
    Example:
      reminder window --country BH --submitted 2026-03-01 --explain
    """
    ctx.ensure_object(dict)["config_path"] = config_path


def main() -> None:
    import sys

    from ..i18n import keep_in_cache
    from ..paths import user_cache_dir

    for stream in (sys.stdout, sys.stderr):
        if not writes_utf8(stream) and hasattr(stream, "reconfigure"):
            # A terminal or PYTHONIOENCODING that is not UTF-8 (latin-1, ascii): a character it
            # cannot show ("–", a Chinese title) is written as \u2013 instead of ending the
            # command in a traceback half-way through its output.
            stream.reconfigure(errors="backslashreplace")
    keep_in_cache(user_cache_dir())
    cli.main(prog_name="reminder", obj={PROGRAM: True})
