"""A throw-away PostgreSQL cluster for the tests: initdb in a temporary directory, one server, gone after.

The server runs as an unprivileged user (PostgreSQL refuses to run as root; as root the tests run it as
``nobody``), listens on 127.0.0.1 on a free port and on a unix socket inside its own directory, and runs
with fsync off: the tests need a real server, not a durable one. Every test gets a fresh empty database
(:meth:`PgCluster.create_database`), so tests never see each other's rows.

The binaries come from ``$REMINDER_PG_BINDIR``, ``pg_config --bindir``, ``/usr/lib/postgresql/*/bin``
(Debian's layout, newest version first) or ``PATH``, in that order. :func:`find_bindir` returns ``None``
when none has ``initdb``, ``postgres`` and ``pg_ctl``; the fixtures in ``conftest.py`` then skip with that
reason, or fail when ``REMINDER_TEST_POSTGRES=require`` (CI), so a CI machine without PostgreSQL cannot
pass by skipping.

Every role logs in without a password (``trust``), but for :data:`PASSWORD_ROLE`, which must give one
(scram-sha-256): the tests of a refused login connect as it. It need not exist: the server refuses a role it
does not know with the very words it refuses a wrong password with, so as not to tell the two apart.

The server is the test process's child (not daemonised by ``pg_ctl``): :meth:`PgCluster.stop` ends it by
its pid, a crash of the test process takes it along (the parent-death signal), and ``atexit`` stops it if
the session ends some other way. :meth:`PgCluster.restart` stops and starts it on the same port and data,
for the tests that check that daemons reconnect.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "EXTERNAL_ENV",
    "PASSWORD_ROLE",
    "REQUIRE_ENV",
    "ExternalServer",
    "PgCluster",
    "PgServer",
    "PgUnavailable",
    "find_bindir",
    "grant_password_role",
    "start_cluster",
    "unavailable_reason",
]

REQUIRE_ENV = "REMINDER_TEST_POSTGRES"  # "require": a missing PostgreSQL fails the tests instead of skipping
BINDIR_ENV = "REMINDER_PG_BINDIR"
EXTERNAL_ENV = "REMINDER_TEST_PG_URL"  # use this server instead of starting one
SUPERUSER = "postgres"  # the usual name; the store tests make other roles beside it
PASSWORD_ROLE = "password_only"  # the one role pg_hba.conf asks a password of
_NEEDED = ("initdb", "postgres", "pg_ctl")
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot run here (no binaries, no driver, the server did not start); the message says why."""


def _has_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() and os.access(bindir / name, os.X_OK) for name in _NEEDED)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb, postgres and pg_ctl, or None."""
    candidates: list[Path] = []
    if os.environ.get(BINDIR_ENV):
        candidates.append(Path(os.environ[BINDIR_ENV]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if _has_binaries(bindir):
            return bindir
    return None


def unavailable_reason() -> str | None:
    """Why the PostgreSQL tests cannot run on this machine, or None when they can."""
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, postgres, pg_ctl) not found via "
            f"${BINDIR_ENV}, pg_config --bindir, /usr/lib/postgresql/*/bin or PATH"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver psycopg is not installed (pip install 'psycopg[binary]')"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's child process, after the user switch: SIGTERM it when the test process dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class PgCluster:
    """One initdb'd data directory and its server; ``url(dbname)`` is how tests and daemons reach it."""

    def __init__(self, bindir: Path, *, user: str = "nobody") -> None:
        self.bindir = bindir
        self._as_root = os.geteuid() == 0
        # As root: the unprivileged account PostgreSQL insists on. Otherwise: whoever runs the tests.
        account = pwd.getpwnam(user) if self._as_root else pwd.getpwuid(os.geteuid())
        self._uid, self._gid = account.pw_uid, account.pw_gid
        self.root = Path(tempfile.mkdtemp(prefix="reminder-pg-"))
        self.datadir = self.root / "data"
        self.socketdir = self.root / "sock"
        self.logfile = self.root / "server.log"
        self.port = 0
        self._server: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        if self._as_root:
            os.chown(self.root, self._uid, self._gid)
        self.socketdir.mkdir(mode=0o700)
        if self._as_root:
            os.chown(self.socketdir, self._uid, self._gid)
        atexit.register(self.destroy)

    # -- running things as the server's user --------------------------------------------------------
    def _run_as_owner(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._as_root:
            kwargs = {"user": self._uid, "group": self._gid, "extra_groups": []}
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            cwd=self.root,
            env=self._env(),
            timeout=120,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )

    def _env(self) -> dict[str, str]:
        # Only what the server needs: no REMINDER_* or PG* of the test run leaks into it.
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}

    # -- lifecycle ----------------------------------------------------------------------------------
    def init(self) -> None:
        out = self._run_as_owner(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        if out.returncode != 0:
            detail = out.stderr.strip() or out.stdout.strip()
            raise PgUnavailable(f"initdb failed ({out.returncode}): {detail}")
        hba = self.datadir / "pg_hba.conf"  # the first line that matches decides
        hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())

    def start(self) -> None:
        """Start the server (on a fresh free port the first time, on the same port after a stop)."""
        if self._server is not None and self._server.poll() is None:
            return
        attempts = 3 if self.port == 0 else 1
        for _attempt in range(attempts):
            if self.port == 0 or attempts > 1:
                self.port = _free_port()
            if self._launch():
                return
        raise PgUnavailable(f"PostgreSQL did not start; its log:\n{self.log_tail()}")

    def _launch(self) -> bool:
        args = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.datadir),
            "-p",
            str(self.port),
            "-k",
            str(self.socketdir),
            "-c",
            "listen_addresses=127.0.0.1",
            # A throw-away cluster: durability buys nothing and costs the tests seconds.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=64MB",
        ]
        kwargs: dict[str, object] = {}
        if self._as_root:
            kwargs = {"user": self._uid, "group": self._gid, "extra_groups": []}
        log = open(self.logfile, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._server = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=self._env(),
                start_new_session=True,  # a Ctrl-C at the terminal is the tests' to handle, not the server's
                preexec_fn=_die_with_parent,
                **kwargs,  # type: ignore[call-overload]
            )
        finally:
            log.close()
        deadline = time.monotonic() + _START_TIMEOUT
        pidfile = self.datadir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                self._server = None
                return False
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                # The eighth line of postmaster.pid says "ready" once connections are accepted.
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return True
            time.sleep(0.05)
        self.stop(immediate=True)
        return False

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the server: a fast shutdown (SIGINT: clients disconnected), or SIGQUIT, like a crash."""
        server, self._server = self._server, None
        if server is None or server.poll() is not None:
            return
        server.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
        try:
            server.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=_STOP_TIMEOUT)

    def restart(self, *, immediate: bool = False, down_for: float = 0.0) -> None:
        """Stop the server, stay down ``down_for`` seconds, start it again on the same port and data."""
        self.stop(immediate=immediate)
        if down_for > 0:
            time.sleep(down_for)
        self.start()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.poll() is None

    @property
    def can_restart(self) -> bool:
        """Whether :meth:`restart` works: yes for a server these tests started."""
        return True

    @property
    def admin_url(self) -> str:
        """The ``postgres`` database, as the superuser: where databases are created."""
        return self.url()

    def destroy(self) -> None:
        """Stop the server and remove the cluster's directory (idempotent; also run at exit)."""
        self.stop(immediate=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # -- databases ----------------------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A fresh empty database; returns its name."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever still uses it (a daemon a failed test left behind)."""
        import psycopg

        if not self.running:
            return
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database's URL for the block; dropped afterwards."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            with contextlib.suppress(Exception):
                self.drop_database(name)


class ExternalServer(PgCluster):
    """A server the tests were pointed at (``$REMINDER_TEST_PG_URL``: a URL whose user may create
    databases) instead of one of their own; it cannot be restarted, so the restart tests skip."""

    def __init__(self, admin_url: str) -> None:  # no data directory, no server process of ours
        self._admin_url = admin_url
        self._base = admin_url.rsplit("/", 1)[0]
        self._names = itertools.count(1)
        self.port = 0

    def url(self, dbname: str = "postgres") -> str:
        return self._admin_url if dbname == "postgres" else f"{self._base}/{dbname}"

    @property
    def running(self) -> bool:
        return True

    def start(self) -> None:
        pass

    @property
    def can_restart(self) -> bool:
        return False

    def stop(self, *, immediate: bool = False) -> None:
        raise PgUnavailable(f"${EXTERNAL_ENV} names a server these tests cannot stop or restart")

    def destroy(self) -> None:
        pass


# The name the store's tests first knew the server by (the ``pg_server`` fixture is the same one).
PgServer = PgCluster


def start_cluster() -> PgCluster:
    """Find the binaries, initdb and start a cluster (or use ``$REMINDER_TEST_PG_URL``'s server);
    PgUnavailable says why not."""
    if os.environ.get(EXTERNAL_ENV):
        return ExternalServer(os.environ[EXTERNAL_ENV])
    reason = unavailable_reason()
    if reason is not None:
        raise PgUnavailable(reason)
    bindir = find_bindir()
    assert bindir is not None
    cluster = PgCluster(bindir)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def grant_password_role(pg_url: str, password: str) -> None:
    """Make :data:`PASSWORD_ROLE` (created once per server) log in with ``password`` and use the
    database of ``pg_url`` as its owner would: the tests of refused and rotated passwords."""
    import psycopg

    dbname = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            f"DO $$ BEGIN CREATE ROLE {PASSWORD_ROLE} LOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        admin.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD '{password}'")
        admin.execute(f'GRANT ALL ON DATABASE "{dbname}" TO {PASSWORD_ROLE}')
        admin.execute(f"GRANT ALL ON SCHEMA public TO {PASSWORD_ROLE}")
