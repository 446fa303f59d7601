"""Shared fixtures: an isolated environment, a real store in it, and the CLI as a subprocess.

``tmp_env`` points every path reminder uses (XDG config/data/state/cache directories,
so the config file too) into ``tmp_path`` and removes any ``REMINDER_*`` variables, so
tests never touch the real user's files. ``store`` opens the database the CLI would use
in that environment. ``run_cli`` runs ``python -m reminder …`` with that
environment, the way a user (or systemd) would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from pg_cluster import REQUIRE_ENV, PgCluster, PgUnavailable, start_cluster

from reminder.store import Store

# The same examples on every run: a property test that finds a bug should fail every run,
# not one CI run in fifty. Explore new examples with `pytest --hypothesis-profile explore`.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

REPO = Path(__file__).resolve().parent.parent

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class TmpEnv:
    """Paths of an isolated reminder environment; ``env`` is the full environment for subprocesses."""

    root: Path
    env: dict[str, str]
    # The user config directory's config.toml (the directory exists, the file not: write it, or
    # run `reminder config init`). Not $REMINDER_CONFIG: a variable naming a missing file is an error.
    config_path: Path
    config_home: Path  # $XDG_CONFIG_HOME
    data_home: Path  # $XDG_DATA_HOME
    db_path: Path  # the default store path in this environment

    def write_config(self, text: str) -> Path:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(text, encoding="utf-8")
        return self.config_path


@pytest.fixture(autouse=True)
def _state_dir_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test keeps the evidence key and heads file (``$XDG_STATE_HOME/reminder``) in its own
    temporary directory, never the real user's, whether or not it asks for ``tmp_env``."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests expect English whatever the machine's locale says (a Chinese desktop sets
    LANGUAGE=zh_CN:zh); a test about languages sets its own. The process's language, which
    the CLI fixes when it loads settings (i18n.set_language), is restored after each test."""
    from reminder import i18n

    for name in i18n.LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    saved = i18n._process_language
    yield
    i18n._process_language = saved


# REMINDER_TEST_BACKEND=postgresql runs every test's CLI (run_cli, tmp_env.env) and its own
# Store(tmp_env.db_path) on a fresh PostgreSQL database instead of the SQLite file: a survey of
# what behaves the same. Tests that read the SQLite file or the attachment files themselves
# (sqlite3, PRAGMA, attachments/) or wait on the SQLite-only pid lock cannot follow.
_SURVEY_BACKEND = os.environ.get("REMINDER_TEST_BACKEND", "sqlite")
# Those tests carry `@pytest.mark.sqlite_only("why")` and skip in that mode, with the reason,
# so CI can run the CLI and daemon tests there too and every failure is a real one.


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): tests SQLite-only behaviour; skipped when REMINDER_TEST_BACKEND=postgresql",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("sqlite_only")
    if marker is not None and _SURVEY_BACKEND == "postgresql":
        reason = marker.args[0] if marker.args else "SQLite-only behaviour"
        pytest.skip(f"SQLite only: {reason}")


@pytest.fixture
def tmp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> TmpEnv:
    for name in list(os.environ):
        if name.startswith("REMINDER_"):
            monkeypatch.delenv(name)
    homes = {
        "XDG_CONFIG_HOME": tmp_path / "xdg-config",
        "XDG_DATA_HOME": tmp_path / "xdg-data",
        "XDG_STATE_HOME": tmp_path / "xdg-state",
        "XDG_CACHE_HOME": tmp_path / "xdg-cache",
    }
    for name, path in homes.items():
        monkeypatch.setenv(name, str(path))
    if _SURVEY_BACKEND == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
        monkeypatch.setenv("REMINDER_STORE__URL", url)
        # The test's own Store(tmp_env.db_path) opens the same database as its CLI.
        plain = Store.__init__

        default_db = homes["XDG_DATA_HOME"] / "reminder" / "reminder.db"

        def on_postgres(self: Store, path: Path | str, **kw: object) -> None:
            if kw.get("url") is None and Path(path).expanduser() == default_db:
                kw["url"] = url
            plain(self, path, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(Store, "__init__", on_postgres)
    config_path = homes["XDG_CONFIG_HOME"] / "reminder" / "config.toml"
    config_path.parent.mkdir(parents=True)  # beside it go files a config names (a password file)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    # Rich would otherwise wrap tables at 80 columns and colour them in a CI log.
    env.setdefault("COLUMNS", "200")
    env["NO_COLOR"] = "1"
    return TmpEnv(
        root=tmp_path,
        env=env,
        config_path=config_path,
        config_home=homes["XDG_CONFIG_HOME"],
        data_home=homes["XDG_DATA_HOME"],
        db_path=homes["XDG_DATA_HOME"] / "reminder" / "reminder.db",
    )


@pytest.fixture
def store(tmp_env: TmpEnv) -> Iterator[Store]:
    with Store(tmp_env.db_path) as s:
        yield s


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on each backend (``db_store`` opens the matching store)."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, a fresh PostgreSQL database's URL for PostgreSQL."""
    if backend == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db_store(tmp_env: TmpEnv, db_url: str | None) -> Iterator[Store]:
    """The store on each backend in turn: the SQLite file, then a fresh PostgreSQL database."""
    with Store(tmp_env.db_path, url=db_url) as s:
        yield s


@pytest.fixture
def now() -> datetime:
    """A fixed "now" (2026-03-01 06:00 UTC, a Sunday: a working day in Bahrain)."""
    return datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def run_cli(tmp_env: TmpEnv) -> RunCli:
    """``run_cli("list", "--json", input=None, env={...}, timeout=60)`` → CompletedProcess (text)."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reminder", *args],
            input=input,
            capture_output=True,
            text=True,
            env={**tmp_env.env, **(env or {})},
            cwd=tmp_env.root,
            timeout=timeout,
        )

    return run


@pytest.fixture
def invoke(tmp_env: TmpEnv, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """``invoke("list", "--json")``: the command line run in this process (the same parsing,
    output and exit status as ``run_cli``, without a process's start), for setting cases up."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from reminder.cli import cli

    monkeypatch.chdir(tmp_env.root)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2))
        code: int = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.main(list(args), prog_name="reminder")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        texts = []
        for stream in (out, err):
            stream.flush()
            texts.append(stream.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
        return subprocess.CompletedProcess(list(args), code, texts[0], texts[1])

    return run


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throw-away PostgreSQL server for the session (tests/pg_cluster.py), started by the first test
    that asks for it and removed at the end, also when tests fail. Without PostgreSQL here the test
    skips with the reason; with REMINDER_TEST_POSTGRES=require (CI) it fails instead."""
    try:
        cluster = start_cluster()
    except PgUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "require":
            pytest.fail(f"{REQUIRE_ENV}=require but PostgreSQL is unavailable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_server(pg_cluster: PgCluster) -> PgCluster:
    """The session's PostgreSQL server under its other name (``restart()``, ``can_restart``)."""
    return pg_cluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server: its ``postgresql://`` URL (no password).
    A test that stopped the server gets it started again before the next test."""
    if not pg_cluster.running:
        pg_cluster.start()
    with pg_cluster.database() as url:
        yield url


def png_bytes(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG (8-bit RGB, no alpha: one image in `pdfimages -list`), made with the standard library."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
