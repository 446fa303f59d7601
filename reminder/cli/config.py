"""``reminder config``: create, check and locate the config file."""

from __future__ import annotations

import os

from .. import cmdline
from ..errors import InputError
from ..i18n import _
from ..terminal import escape_controls as _t
from .common import (
    config_arg,
    echo_json,
    json_option,
    settings_from,
)
from .group import ReminderGroup
from .notify import notifier_warnings

TYPE_CHECKING = False  # not typing's: importing typing costs every command its start
if TYPE_CHECKING:
    from typing import Any


@cmdline.group("config", cls=ReminderGroup)
def config_group() -> None:
    """Create, check and locate the config file.

    \b
    Example:
      reminder config init && reminder config check
    """


@config_group.command("path")
@json_option
@cmdline.pass_context
def config_path_command(ctx: cmdline.Context, as_json: bool) -> None:
    """Print the config file reminder reads (--config, $REMINDER_CONFIG or the user's).

    \b
    Example:
      $EDITOR "$(reminder config path)"
    """
    from ..paths import config_location, init_command

    loc = config_location(config_arg(ctx))
    if as_json:
        echo_json({"path": loc.path, "source": loc.source, "exists": loc.exists})
        return
    cmdline.echo(_t(str(loc.path)))
    if not loc.exists:
        # A file named by --config or $REMINDER_CONFIG must be there: other commands refuse to run.
        if loc.source == "user config directory":
            cmdline.echo(
                _("(not there yet: the embedded defaults apply; 'reminder config init' creates it)"), err=True
            )
        else:
            cmdline.echo(
                _("(not there yet; create it with: %(command)s)", command=_t(init_command(loc.path))),
                err=True,
            )


@config_group.command("init")
@json_option
@cmdline.pass_context
def config_init_command(ctx: cmdline.Context, as_json: bool) -> None:
    """Write the documented example config to the config path (never overwrites).

    \b
    Example:
      reminder config init
      REMINDER_CONFIG=~/reminder.toml reminder config init
    """
    from ..config import example_config_text
    from ..errors import StoreError
    from ..files import private_dir, write_file_atomic
    from ..i18n import current_language
    from ..paths import config_location, parent

    loc = config_location(config_arg(ctx))
    exists = _("%(path)s already exists; not overwriting it (edit it, or move it away first)", path=loc.path)
    if os.path.exists(loc.path):
        raise InputError(exists)
    try:
        private_dir(parent(loc.path))
        # 0600: the file will likely hold notifier passwords or tokens. All or nothing: a full
        # disk must not leave an empty file that every later command would read as the config.
        # The example in the language this command speaks (the locale's, or REMINDER_DEFAULTS__LANGUAGE):
        # its comments are what the user reads before editing it.
        text = example_config_text(current_language())
        if not write_file_atomic(loc.path, text.encode("utf-8"), overwrite=False):
            raise InputError(exists)
    except OSError as exc:
        raise StoreError(
            _("%(path)s: cannot write the config file: %(why)s", path=loc.path, why=exc.strerror or exc)
        ) from None
    if as_json:
        echo_json({"path": loc.path, "created": True})
    else:
        cmdline.echo(_("Wrote %(path)s; edit it, then run 'reminder config check'.", path=loc.path))


@config_group.command("check")
@json_option
@cmdline.pass_context
def config_check_command(ctx: cmdline.Context, as_json: bool) -> None:
    """Validate the config and print the effective settings (secrets masked).

    Environment variables REMINDER_<SECTION>__<KEY> override the file and are
    included. Notifier tables are checked by the daemon's own code (nothing is
    sent). Exit status 2 and one line naming the file and key if it is broken.

    \b
    Example:
      reminder config check
      REMINDER_DEFAULTS__HOUR=8 reminder config check --json
    """
    from ..config import settings_as_dict
    from ..notifiers.check import check_notifiers

    notifier_warnings(ctx)
    settings = settings_from(ctx, model=True)
    # What the daemon and `add` refuse, refused here by the same code.
    check_notifiers(settings.notifiers, config_file=settings.source)
    if settings.store.url is not None and settings.store.password_file is not None:
        # As the notifiers' password_file: a file every command would refuse now is refused here.
        # Not password_env: the variable may be set where the daemon runs (systemd's EnvironmentFile).
        settings.store_password()
    data = settings_as_dict(settings)
    source = str(settings.source) if settings.source else "embedded defaults (no config file)"
    if as_json:
        echo_json({"source": source, "valid": True, "settings": data})
        return
    shown = _t(str(settings.source)) if settings.source else _("embedded defaults (no config file)")
    cmdline.echo(_("# OK: %(source)s", source=shown))
    for line in _flatten(data):
        cmdline.echo(_t(line))  # JSON escapes C0 controls, but not DEL or C1


def _flatten(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict) and data:
        out: list[str] = []
        for key, value in data.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    import json

    return [f"{prefix} = {json.dumps(data, ensure_ascii=False)}"]
