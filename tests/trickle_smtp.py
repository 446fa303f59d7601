"""An SMTP server on 127.0.0.1 that answers normally up to one chosen step, then trickles.

At that step it sends its answer one byte at a time, every ``interval`` seconds, and never
ends the line: a server that is alive (each byte resets a per-read timeout) and never done.
aiosmtpd cannot be made to do this, so this is a few lines of sockets and threads.

Steps: ``greeting`` (the 220), ``ehlo``, ``data`` (the reply to the end of DATA, after the
whole message was received) and ``quit``. With ``trickle`` set to False it answers every
step at once, so the same server can take the message when it is sent again.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

__all__ = ["TricklingSMTP", "trickling_smtp"]

STEPS = ("greeting", "ehlo", "data", "quit")


class TricklingSMTP:
    def __init__(self, step: str, interval: float = 2.0) -> None:
        assert step in STEPS
        self.step, self.interval = step, interval
        self.trickle = True
        self.trickling = threading.Event()  # set when a trickle has begun
        self.accepted: list[bytes] = []  # messages answered 250 (after the trickle is off)
        self.received: list[bytes] = []  # every message whose DATA arrived in full
        self._closed = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def message_ids(self, messages: list[bytes]) -> list[str]:
        found = (re.search(rb"^Message-ID: (<[^>]+>)", m, re.MULTILINE | re.IGNORECASE) for m in messages)
        return [f.group(1).decode() if f else "" for f in found]

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for conn in self._conns:
                # Shut down, not just closed: a client blocked in recv must see the end.
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket, step: str, reply: bytes) -> bool:
        """Send ``reply``, or trickle if this is the step; False once the session is over."""
        if self.trickle and step == self.step:
            self.trickling.set()
            head = reply[:4]
            i = 0
            while not self._closed.wait(self.interval):
                # The reply's code and a space, then 'x' forever: never a line end.
                byte = head[i : i + 1] if i < len(head) else b"x"
                i += 1
                try:
                    conn.sendall(byte)
                except OSError:
                    return False
            return False
        conn.sendall(reply)
        return True

    def _serve(self, conn: socket.socket) -> None:
        buf = b""

        def line() -> bytes | None:
            nonlocal buf
            while b"\r\n" not in buf:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return None
                if not data:
                    return None
                buf += data
            out, buf = buf.split(b"\r\n", 1)
            return out

        try:
            if not self._answer(conn, "greeting", b"220 trickle ESMTP\r\n"):
                return
            while (command := line()) is not None:
                verb = command[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    if not self._answer(conn, "ehlo", b"250-trickle\r\n250 SIZE 1000000\r\n"):
                        return
                elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    conn.sendall(b"250 OK\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    while b"\r\n.\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            return
                        buf += data
                    message, buf = buf.split(b"\r\n.\r\n", 1)
                    self.received.append(message)
                    if not self._answer(conn, "data", b"250 accepted\r\n"):
                        return
                    self.accepted.append(message)
                elif verb == b"QUIT":
                    self._answer(conn, "quit", b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 not here\r\n")
        except OSError:
            return
        finally:
            conn.close()


@contextmanager
def trickling_smtp(step: str, interval: float = 2.0) -> Iterator[TricklingSMTP]:
    server = TricklingSMTP(step, interval)
    try:
        yield server
    finally:
        server.close()
