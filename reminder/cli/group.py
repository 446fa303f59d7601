"""The command group: errors as one line and an exit status, help in the user's language,
and each command's module imported when the command is used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence

from .. import cmdline
from ..cli_help import TranslatedHelp
from ..errors import ReminderError
from ..i18n import _
from .common import fail

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from typing import Any


def _not_utf8(argv: Sequence[str]) -> str | None:
    """The error for the first argument that is not valid UTF-8, or None.

    Python hands such bytes over as lone surrogates (U+DC80–U+DCFF, "surrogateescape"),
    which no database, file or terminal can take as text.
    """
    for i, arg in enumerate(argv):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            before = argv[i - 1] if i else ""
            if before.startswith("-") and "=" not in before:
                where = _("the value of %(option)s", option=before)
            else:
                where = _("argument %(n)d", n=i + 1)
            return _(
                "'%(shown)s' (%(where)s) is not valid UTF-8; reminder takes text and file names in UTF-8",
                shown=shown,
                where=where,
            )
    return None


def _config_in(argv: Sequence[str]) -> str | None:
    """The group's ``--config`` value in ``argv`` (before the command's name), if given."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.partition("=")[2]
        if not arg.startswith("-"):
            break
    return None


class ReminderGroup(TranslatedHelp, cmdline.Group):
    """A group that turns every expected error into one line and an exit status, and whose
    commands' help speaks the user's language."""

    command_class = TranslatedHelp

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # name → "module:attribute" in this package, imported the first time the name is asked for
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: cmdline.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: cmdline.Context, cmd_name: str) -> cmdline.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _sep, attr = self.lazy_commands[cmd_name].partition(":")
            command = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv
        # Until the settings load (a command loads them, then speaks [defaults] language): the
        # language of the config read as plain TOML, for --help, usage errors and a broken config.
        from ..i18n import set_language
        from ..paths import language_before_settings

        set_language(language_before_settings(_config_in(argv)))
        bad = _not_utf8(argv)
        if bad is not None:
            # Refused before anything runs: such a title would fail half-way into the database.
            fail(bad, 2, as_json)
        try:
            return super().main(argv, prog_name or "reminder", **extra)
        except cmdline.Exit as exc:
            sys.exit(exc.exit_code)
        except cmdline.NoArgsIsHelp as exc:
            # `reminder` (or `reminder evidence`) alone asks what there is: the help, not an error.
            cmdline.echo(exc.ctx.get_help())
            sys.exit(0)
        except cmdline.Abort:
            fail(_("aborted"), 1, as_json)
        except cmdline.CommandError as exc:
            # Usage errors get a pointer to --help, still on one line.
            hint = ""
            if isinstance(exc, cmdline.UsageError) and exc.ctx is not None:
                hint = _(" (see '%(command)s --help')", command=exc.ctx.command_path)
            fail(exc.format_message() + hint, exc.exit_code, as_json)
        except ReminderError as exc:
            fail(str(exc), exc.exit_code, as_json)
        except KeyboardInterrupt:
            # Ctrl-C: the person stopped it, nothing went wrong: no "Error:", the shells' status
            # for SIGINT (128 + 2), which scripts test. --json still says why on stderr.
            if as_json:
                fail(_("interrupted"), 130, as_json)
            sys.exit(130)
