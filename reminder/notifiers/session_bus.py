"""Finding the D-Bus session bus and asking it for a notification server, for the desktop notifier.

Apart from ``desktop.py`` (which defines pydantic options) so that ``reminder notifiers``
can say whether this machine could show desktop notifications without importing the
notifier or pydantic (see ``catalogue.py``). The session bus is found from
``DBUS_SESSION_BUS_ADDRESS`` or, for a daemon started by systemd without it,
``$XDG_RUNTIME_DIR/bus`` (``/run/user/<uid>/bus``).
"""

from __future__ import annotations

import os
import sys

from .. import delivery_errors as said
from ..delivery_errors import english, translated
from ..i18n import _
from ..paths import spelt

TYPE_CHECKING = False  # not typing's: this module is on `reminder notifiers`' start-up path
if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = ["DEFAULT_TIMEOUT", "NOTIFICATIONS", "NO_BUS", "NO_SERVER", "check", "find_session_bus", "run"]

NOTIFICATIONS = "org.freedesktop.Notifications"
# Seconds to wait for the notification server (the desktop notifier's `timeout` by default).
DEFAULT_TIMEOUT = 10.0
NO_SERVER = said.NO_SERVER
NO_BUS = said.NO_BUS


def find_session_bus(env: dict[str, str] | None = None) -> tuple[str | None, str]:
    """The session bus address and where it came from, or (None, why not: in English, as a failed
    send keeps it; ``delivery_errors.translated`` says it in the user's language)."""
    env = dict(os.environ) if env is None else env
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        path = _unix_path(address)
        if path is not None and not os.path.exists(path):
            return (
                None,
                english(said.BUS_ADDRESS_MISSING, path=path),
            )
        return address, "DBUS_SESSION_BUS_ADDRESS"
    runtime = env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    socket_path = spelt(os.path.join(runtime, "bus"))  # as pathlib spelt it: messages name it
    if os.path.exists(socket_path):
        return f"unix:path={socket_path}", socket_path
    return None, english(said.BUS_NOT_FOUND, path=socket_path)


def _unix_path(address: str) -> str | None:
    first = address.split(";", 1)[0]
    if not first.startswith("unix:"):
        return None
    for part in first[5:].split(","):
        key, _sep, value = part.partition("=")
        if key == "path":
            return value
    return None


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` in a private event loop, in a helper thread if this one already has a loop."""
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def check(timeout: float) -> tuple[bool, str]:
    """Whether desktop notifications can be shown here (a bus, and a server on it), and if not, why."""
    if not sys.platform.startswith("linux"):  # not platform.system(): that module is ~2 ms to import
        return True, ""
    address, why = find_session_bus()
    if address is None:
        return False, translated(why)
    import asyncio  # only with a bus to ask: asyncio costs a short command a tenth of its time

    try:
        return run(asyncio.wait_for(_probe(address), timeout))
    except TimeoutError:
        return False, _(
            "the session bus %(address)s did not answer within %(seconds)ss",
            address=address,
            seconds=f"{timeout:g}",
        )


async def _probe(address: str) -> tuple[bool, str]:
    """Whether a notification server owns (or can be started for) the Notifications name."""
    from dbus_fast import Message as DBusMessage
    from dbus_fast import MessageType
    from dbus_fast.aio import MessageBus

    try:
        bus = await MessageBus(bus_address=address).connect()
    except Exception as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return False, _(NO_BUS, address=address, why=why)
    try:
        for method, args in (("NameHasOwner", [NOTIFICATIONS]), ("ListActivatableNames", [])):
            reply = await bus.call(
                DBusMessage(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member=method,
                    signature="s" if args else "",
                    body=args,
                )
            )
            if reply is None or reply.message_type != MessageType.METHOD_RETURN:
                continue
            value = reply.body[0]
            if value is True or (isinstance(value, list) and NOTIFICATIONS in value):
                return True, ""
        return False, _(NO_SERVER, name=NOTIFICATIONS, address=address)
    finally:
        bus.disconnect()
