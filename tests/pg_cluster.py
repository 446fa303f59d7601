"""A throw-away PostgreSQL server for the tests, and a fresh database per test.

``$REMINDER_TEST_PG_URL`` names a server to use instead (a URL whose user may create
databases). Otherwise ``initdb`` makes a cluster in a temporary directory, started on a free
port for the session and stopped at its end; as root it runs as ``nobody`` (PostgreSQL
refuses root). Without PostgreSQL the tests that need it skip, saying why — unless
``REMINDER_TEST_POSTGRES=require`` (CI), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PgServer", "find_bin", "server"]

_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in _BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A running server: ``admin_url`` reaches its ``postgres`` database as a superuser."""

    def __init__(self, admin_url: str, base_url: str, restart: list[str] | None = None) -> None:
        self.admin_url = admin_url
        self.base_url = base_url  # without the database name
        self._restart = restart  # the command that restarts it, when this session started it

    @property
    def can_restart(self) -> bool:
        return self._restart is not None

    def restart(self) -> None:
        """Stop the server (dropping every connection) and start it again."""
        assert self._restart is not None
        subprocess.run(self._restart, check=True, capture_output=True)

    def create_database(self) -> tuple[str, str]:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name, f"{self.base_url}/{name}"

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server() -> Iterator[PgServer | str]:
    """A server, or the reason there is none."""
    url = os.environ.get("REMINDER_TEST_PG_URL")
    if url:
        base = url.rsplit("/", 1)[0]
        yield PgServer(url, base)
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield "psycopg is not installed"
        return
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        yield "PostgreSQL's initdb/pg_ctl are not installed"
        return
    root = Path(tempfile.mkdtemp(prefix="reminder-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        os.chown(root, *_nobody())
        as_user = ["runuser", "-u", "nobody", "--"]
    data, port = root / "data", _free_port()
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    try:
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        yield f"cannot start a PostgreSQL cluster: {exc}"
        return
    base = f"postgresql://postgres@127.0.0.1:{port}"
    try:
        restart = [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "-o", opts, "-l", str(root / "log")]
        yield PgServer(f"{base}/postgres", base, [*restart, "restart"])
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _nobody() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid
