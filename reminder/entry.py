"""The ``reminder`` command's entry point: the process's settings, and its two most-run
invocations answered before the command line is even imported.

``reminder list --json``, which scripts and status bars poll, and ``reminder --help``,
which a newcomer types first, are served here from the standard library and ``sqlite3``
(measured in the README: about half the time of the same invocation through the
command line, which imports the command modules and the store):

- ``reminder``, ``reminder --help`` / ``-h``: the command line's own help text, rendered
  once and cached under ``$XDG_CACHE_HOME/reminder``, keyed by reminder's version, the
  summed sizes and modification times of the ``cli`` and ``cmdline`` packages and
  ``cli_help.py``, the help width and the language (with its catalogue's modification
  time) — a change to any of them re-renders it;
- ``reminder --version``: the ``--version`` option's line, in English (another language's is the
  command line's);
- ``reminder [--config PATH] list --json [--status S] [--due-before DATE]``: the stored
  case documents straight from SQLite (``listing.py``).

Anything else — another option, a value the command line would reject, a config error, a
database that does not exist yet or needs migrating — goes to ``cli.main`` untouched, so
every error message and exit status is the command line's. Tests hold both paths' output
equal.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing is a tenth of this module's budget
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

__all__ = ["GC_THRESHOLD", "help_cache_file", "main", "run"]


# The cyclic garbage collector's first threshold for the process. A command's imports make tens
# of thousands of objects that live until it exits (modules, classes, functions); at Python's
# default (700 new container objects) the collector walks them some 25 to 80 times, 3 to 8 ms of
# an everyday command. At this one it does not run in an everyday command at all. The daemon,
# which runs for months and whose start-up nobody waits for, keeps Python's own thresholds.
GC_THRESHOLD = 50_000


def run() -> None:
    """The ``reminder`` process (its script and ``python -m reminder``): :func:`main`, then the
    process ends without tearing the interpreter down.

    Once a command has answered, Python would go on to collect every object the command's
    imports made and empty and free each module, one by one: 10 to 25 ms on a small machine,
    a fifth of ``reminder show``, for memory the system takes back whole the moment the
    process ends. So the process ends as soon as Python has done all that a program can
    observe: non-daemon threads joined, every ``atexit`` callback run (logging's flush among
    them), stdout and stderr flushed. What a command's objects would have done as they were
    freed is not done; the store is closed by its ``with`` block (and one left open loses
    nothing: what it committed is in its log, which the next connection reads). Anything
    else — an uncaught exception (its traceback, Ctrl-C's SIGINT status), output that cannot
    be flushed, coverage measuring the process, the daemon — ends as Python always does.

    For the process only: called in-process (a test, another program), ``main`` is the one.
    A program that runs this one (``runpy``, a profiler) and registered an ``atexit``
    callback first keeps Python's own end: that callback would come after this one's.
    """
    # Registered first, so called last (atexit calls in reverse order); CPython counts them.
    if getattr(atexit, "_ncallbacks", lambda: 1)() == 0:
        atexit.register(_end_now)
    try:
        main()
    except SystemExit as exc:
        _ended.append(_exit_status(exc.code))
        raise
    _ended.append(0)


# The exit status main ended with (once it has), for _end_now.
_ended: list[int | None] = []


def _exit_status(code: object) -> int | None:
    """The status Python exits with for ``SystemExit(code)``; None: leave it to Python."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code if 0 <= code <= 255 else None
    return 1  # Python has written the message to stderr already


def _end_now() -> None:
    """The last ``atexit`` callback: flush the standard streams and end the process there."""
    if len(_ended) != 1 or _ended[0] is None or "daemon" in sys.argv[1:] or "coverage" in sys.modules:
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # Python reports an output it cannot flush ("Exception ignored …", status 120)
    os._exit(_ended[0])


def main() -> None:
    """Run ``reminder`` with ``sys.argv``."""
    if "daemon" not in sys.argv[1:]:
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        code = _serve(sys.argv[1:])
        if code is None:
            from .cli import main as cli_main

            cli_main()
            return
    except BrokenPipeError:
        # `reminder show ID | head -1`: the reader left; say nothing more (Python's own advice:
        # what is still buffered goes to /dev/null, not to a traceback at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code)


def _serve(argv: Sequence[str]) -> int | None:
    """Answer ``argv`` here and return the exit status, or None to hand it to the command line."""
    if list(argv) in ([], ["--help"], ["-h"]):
        return _help()
    if list(argv) == ["--version"]:
        from . import __version__
        from .paths import language_before_settings

        if language_before_settings() != "en":
            return None  # the command line's line in the user's language ("reminder，版本 0.1.0")
        sys.stdout.write(f"reminder, version {__version__}\n")
        return 0
    if any("\udc80" <= ch <= "\udcff" for arg in argv for ch in arg):
        return None  # bytes that are not UTF-8: the command line refuses them, in one line
    request = _parse_list_json(argv)
    return None if request is None else _list_json(*request)


# --- reminder --help ---------------------------------------------------------------------------------


def help_cache_file(width: int, cli_dir: str | None = None, lang: str = "en") -> str | None:
    """Where the help for this width and language is cached, or None where there is no cache
    directory."""
    from . import __version__

    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.environ.get("HOME", "")
        if not sys.platform.startswith("linux") or not os.path.isabs(home):
            return None  # elsewhere, platformdirs would know; the help is then rendered each time
        base = os.path.join(home, ".cache")
    # The help is read from every command module of the cli package, laid out by the cmdline
    # package and, in another language, by cli_help.py: any of them changing (its size or its
    # time) gives another name.
    here = os.path.dirname(__file__)
    size = mtime = 0
    try:
        files = [os.path.join(here, "cli_help.py")]
        for folder in (cli_dir or os.path.join(here, "cli"), os.path.join(here, "cmdline")):
            files += [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py")]
        for path in files:
            st = os.stat(path)
            # Summed, not the newest: a file set back in time changes the name too.
            size, mtime = size + st.st_size, mtime + st.st_mtime_ns
    except OSError:
        return None
    if not mtime:
        return None
    stamp = f"{__version__}-{size:x}-{mtime:x}-{width}"
    if lang != "en":
        # Another language's help starts with its name and its catalogue's time: a translation
        # changes without the cli package changing. English keeps the names it always had.
        folder = os.path.join(os.path.dirname(__file__), "locale", lang, "LC_MESSAGES")
        times = [0]
        for name in ("reminder.po", "reminder.mo"):
            with contextlib.suppress(OSError):
                times.append(os.stat(os.path.join(folder, name)).st_mtime_ns)
        stamp = f"{lang}-{max(times):x}-{stamp}"
    return os.path.join(base, "reminder", f"help-{stamp}.txt")


def _cache_language(name: str) -> str:
    """The language of a cached help file's name (see help_cache_file)."""
    second = name.split("-")[1] if name.count("-") > 1 else ""
    return second if second[:1].isalpha() else "en"  # English names go on with the version


def _help() -> int:
    from .paths import language_before_settings
    from .terminal import help_width

    width = help_width()
    # The settings are not loaded here: [defaults] language is read from the config as plain TOML.
    lang = language_before_settings()
    cache = help_cache_file(width, lang=lang)
    text: str | None = None
    if cache is not None:
        try:
            with open(cache, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None and not text.endswith("\n"):
            text = None  # emptied or cut short: render_help's text always ends with a newline
    if text is None:
        from .i18n import keep_in_cache
        from .paths import user_cache_dir

        # As the command line does: in a source checkout the catalogue compiled by an earlier
        # command (babel, ~60 ms, with typing) is read back rather than compiled again.
        keep_in_cache(user_cache_dir())
        text = render_help(width, lang)
        if cache is not None:
            _save(cache, text)
    sys.stdout.write(text)
    return 0


def render_help(width: int, lang: str = "en") -> str:
    """``reminder --help`` at this width, in ``lang``."""
    from .cli import cli
    from .cmdline import Context
    from .i18n import set_language

    set_language(lang)
    ctx = Context(cli, info_name="reminder", terminal_width=width, **cli.context_settings)
    text: str = cli.get_help(ctx)
    return text + "\n"


def _save(cache: str, text: str) -> None:
    """Write the cache atomically and drop this width's stale entries; an unwritable cache is skipped."""
    keep = os.path.basename(cache)
    width_suffix = "-" + keep.rsplit("-", 1)[1]
    lang = _cache_language(keep)
    from .files import write_cache_file

    def stale(name: str) -> bool:
        return name.startswith("help-") and name.endswith(width_suffix) and _cache_language(name) == lang

    write_cache_file(cache, text.encode("utf-8"), stale)


# --- reminder list --json ------------------------------------------------------------------------------


def _parse_list_json(argv: Sequence[str]) -> tuple[str | None, str, date | None] | None:
    """``(config, status, due_before)`` for exactly the ``list --json`` forms the command line
    accepts, else None."""
    from datetime import date

    if "list" not in argv:
        return None
    at = list(argv).index("list")  # a "--config list" value lands in the group's options: not ours
    group = _options(argv[:at], flags=(), valued=("--config",))
    command = _options(argv[at + 1 :], flags=("--json",), valued=("--status", "--due-before"))
    if group is None or command is None or "--json" not in command or group.get("--config") == "":
        return None
    status = command.get("--status", "open")
    from .listing import STATUSES  # light: sqlite3 and zoneinfo load only when used

    if status not in STATUSES:
        return None
    try:
        due_before = date.fromisoformat(command["--due-before"]) if "--due-before" in command else None
    except ValueError:
        return None
    return group.get("--config"), status, due_before


def _options(args: Sequence[str], flags: tuple[str, ...], valued: tuple[str, ...]) -> dict[str, str] | None:
    """``{option: value}`` (flags map to "") when ``args`` hold only these options, else None.

    ``--name value`` and ``--name=value`` both count, and the last one wins — as on the command line.
    """
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if args[i] in flags:
            found[args[i]] = ""
        elif name in valued and eq:
            found[name] = value
        elif name in valued and i + 1 < len(args):
            found[name], i = args[i + 1], i + 1
        else:
            return None
        i += 1
    return found


def _list_json(config: str | None, status: str, due_before: date | None) -> int | None:
    import sqlite3
    from datetime import UTC, datetime

    from .errors import ReminderError
    from .listing import docs_current, todays, write_docs
    from .paths import store_path_fast
    from .terminal import stdout_bytes, writes_utf8

    if not writes_utf8(sys.stdout):
        return None  # the stored documents are UTF-8; the command line re-encodes for other locales
    conn = None
    try:
        path = store_path_fast(config)
        if path is None or not os.path.isfile(path):  # a PostgreSQL store, or first use
            return None  # first use: the full path creates the database
        conn = sqlite3.connect(path, timeout=5.0)
        # One read snapshot for every statement below: a case added between todays() and the
        # cases' query, in a time zone no other case uses, would be listed with "days_left": null.
        conn.execute("BEGIN")
        if not docs_current(conn):
            conn.close()
            return None  # the full path migrates the database or re-renders its documents
        today = todays(conn, datetime.now(UTC))
    except (ReminderError, sqlite3.Error, OSError, ValueError, KeyError):
        if conn is not None:  # not left open, in its snapshot, while the full path reads
            conn.close()
        return None  # the full path reports it properly (a config error, a bad time zone, …)
    # The command line's own writer (listing.write_docs, terminal.stdout_bytes): as bytes.
    try:
        with conn, stdout_bytes() as write:
            if write is None:  # a stdout with no bytes side: the command line writes text
                return None
            write_docs(
                conn, status, due_before, today, write, lambda case_id: _rendered(path, case_id, today)
            )
    except sqlite3.Error as exc:  # mid-stream: too late to hand over; say so, exit 1
        sys.stderr.write(f"Error: {path}: reading the cases failed: {exc}\n")
        return 1
    return 0


def _rendered(path: str, case_id: str, today: Mapping[str, date]) -> bytes:
    """A row without a stored document (see store migration m005), rendered the slow way."""
    from .case_lines import rendered_doc

    return rendered_doc(path, case_id, today)
