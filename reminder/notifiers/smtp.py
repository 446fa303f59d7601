"""SMTP mail transactions over several connections, driven from one thread.

A catch-up after downtime hands the e-mail notifier thousands of messages. Sending them over
several connections overlaps the server's work on one with ours on another; doing it from one
thread per connection made those threads fight over the GIL (about 95 futex calls a message)
and left the daemon CPU-bound at a third of the server's speed. Here one thread owns every
connection and waits on all of them with ``selectors``.

A transaction is written once, as :func:`transaction`: a generator that yields the bytes to
write and receives each reply it waits for, so the same steps serve a server with or without
PIPELINING (RFC 2920). :class:`Sessions` drives any number of them, one per connection.
smtplib still opens each connection (TLS, EHLO, STARTTLS, AUTH) and closes it (QUIT); only
the transactions in between are ours.

Every exchange has a deadline as a whole, not only a timeout per read: a server that answers
one byte every few seconds resets any per-read timeout forever (and held the daemon so, past
SIGTERM). A transaction's deadline is kept by :class:`Sessions`; smtplib's blocking steps run
under :func:`deadline`, which shuts the socket down when time is up.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CLOSE",
    "ExchangeTimeout",
    "Reply",
    "Session",
    "Sessions",
    "Transaction",
    "deadline",
    "quote_periods",
    "transaction",
]

Reply = tuple[int, bytes]


class _Close:
    def __repr__(self) -> str:
        return "CLOSE"


# Yielded by a transaction whose server said 421: the session is over once it has its reply.
CLOSE = _Close()

# What a transaction yields: bytes to write, None to be sent the next reply, or CLOSE.
Transaction = Generator[bytes | _Close | None, Reply | None, dict[str, Reply]]

_DOT = re.compile(rb"(?m)^\.")


class ExchangeTimeout(TimeoutError):
    """An exchange (opening a connection, one message, QUIT) ran past its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the exchange did not finish within {seconds:g} s")
        self.seconds = seconds


@contextlib.contextmanager
def deadline(smtp: smtplib.SMTP, seconds: float) -> Iterator[None]:
    """Run smtplib's blocking steps on ``smtp`` for at most ``seconds`` in all.

    smtplib's socket timeout bounds each read, and a server that trickles resets it with every
    byte. So a timer thread shuts the socket down (both ways: a read blocked in another thread
    returns at once) when the time is up, and what the steps then raise becomes
    :class:`ExchangeTimeout`; so does a step that happened to finish in that instant, since its
    connection is gone. The socket may not exist yet (the TCP connect, which smtplib's timeout
    bounds); the timer then looks again until it does or the block has ended.
    """
    lock = threading.Lock()
    done = False
    expired = False

    def expire() -> None:
        nonlocal expired
        with lock:
            if done:
                return
            expired = True
            sock = smtp.sock
            if sock is None:
                again = threading.Timer(0.05, expire)
                again.daemon = True
                again.start()
                return
            # socket.socket's own shutdown on an SSLSocket too: SSLSocket.shutdown also drops
            # the TLS object that a read in the other thread is using.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except (OSError, EOFError) as exc:
        # A refusal that came before the deadline stays what it is.
        if expired and not isinstance(exc, smtplib.SMTPResponseException):
            raise ExchangeTimeout(seconds) from exc
        raise
    finally:
        with lock:
            done = True
        timer.cancel()
    if expired:
        raise ExchangeTimeout(seconds)


def quote_periods(data: bytes) -> bytes:
    """The message body as DATA sends it: a leading dot doubled (RFC 5321 4.5.2), ended by '.'."""
    # Rendered reminders (base64 bodies) never have such a line: skip the regex's copy.
    body = _DOT.sub(b"..", data) if data.startswith(b".") or b"\n." in data else data
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def transaction(
    sender: str,
    recipients: Sequence[str],
    data: bytes,
    *,
    pipelining: bool,
    size: bool,
    smtputf8: bool,
) -> Transaction:
    """One message from MAIL to the end of DATA, as smtplib's ``sendmail`` speaks it.

    Returns the recipients the server refused (when it accepted at least one) and raises
    ``SMTPSenderRefused``, ``SMTPRecipientsRefused`` or ``SMTPDataError`` as ``sendmail``
    does, after resetting the session (RSET) or, on 421, yielding CLOSE. With ``pipelining``
    MAIL, every RCPT and DATA go out in one write and their replies are read in order: two
    round trips a message instead of three plus one per recipient.
    """
    options = f" size={len(data)}" if size else ""
    if not all(a.isascii() for a in (sender, *recipients)):
        if not smtputf8:
            raise smtplib.SMTPNotSupportedError(
                "the server does not offer SMTPUTF8, which addresses with non-ASCII characters need"
            )
        options += " SMTPUTF8"
    commands = [f"mail from:<{sender}>{options}\r\n", *(f"rcpt to:<{r}>\r\n" for r in recipients)]
    data_reply: Reply | None = None
    if pipelining:
        yield "".join([*commands, "data\r\n"]).encode()
        replies: list[Reply] = []
        for _ in range(len(commands) + 1):
            replies.append(_got((yield None)))
        mail, rcpts, data_reply = replies[0], replies[1:-1], replies[-1]
    else:
        yield commands[0].encode()
        mail = _got((yield None))
        rcpts = []
        if mail[0] == 250:
            for command in commands[1:]:
                yield command.encode()
                rcpts.append(_got((yield None)))
                if rcpts[-1][0] == 421:
                    break
    refused = {r: reply for r, reply in zip(recipients, rcpts, strict=False) if reply[0] not in (250, 251)}
    if data_reply and data_reply[0] == 354 and (mail[0] != 250 or len(refused) == len(recipients)):
        # A server that accepted DATA after refusing the envelope: end it with an empty message.
        yield b".\r\n"
        data_reply = _got((yield None))
    closing = 421 in (mail[0], *(c for c, _ in rcpts), *(data_reply[:1] if data_reply else ()))
    if closing:
        yield CLOSE
    if mail[0] != 250:
        yield from _reset(closing)
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if closing or len(refused) == len(recipients):
        yield from _reset(closing)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_reply is None:
        yield b"data\r\n"
        data_reply = _got((yield None))
        if data_reply[0] == 421:
            yield CLOSE
    code, text = data_reply
    if code != 354:
        yield from _reset(code == 421)
        raise smtplib.SMTPDataError(code, text)
    yield quote_periods(data)
    code, text = _got((yield None))
    if code != 250:
        if code == 421:
            yield CLOSE
        yield from _reset(code == 421)
        raise smtplib.SMTPDataError(code, text)
    return refused


def _got(reply: Reply | None) -> Reply:
    # A driver sends a reply into every ``yield None``; only next() (a bug) sends None.
    assert reply is not None, "a transaction waiting for a reply was resumed without one"
    return reply


def _reset(closing: bool) -> Generator[bytes | _Close | None, Reply | None, None]:
    # What smtplib does after a refusal: a 421 has ended the session, anything else resets it.
    if not closing:
        yield b"rset\r\n"
        # The refusal stands even if the session ends before the server answers the RSET.
        with contextlib.suppress(smtplib.SMTPServerDisconnected, OSError):
            yield None


@dataclass(eq=False)
class Session:
    """One open SMTP connection and the transaction it carries, if any."""

    smtp: smtplib.SMTP
    sock: socket.socket
    pipelining: bool
    size: bool
    smtputf8: bool
    buffer: bytearray = field(default_factory=bytearray)
    step: Transaction | None = None
    token: object = None  # the caller's: which message the step carries
    deadline: float = 0.0  # the next reply is due by then (per-read timeout or the end, if sooner)
    ends: float = 0.0  # the transaction as a whole must be over by then (monotonic)
    closing: bool = False

    @classmethod
    def over(cls, smtp: smtplib.SMTP) -> Session:
        """A session on a connection smtplib has opened and greeted (EHLO, STARTTLS, AUTH)."""
        smtp.ehlo_or_helo_if_needed()
        assert smtp.sock is not None
        esmtp = bool(smtp.does_esmtp)
        return cls(
            smtp=smtp,
            sock=smtp.sock,
            pipelining=esmtp and smtp.has_extn("pipelining"),
            size=esmtp and smtp.has_extn("size"),
            smtputf8=esmtp and smtp.has_extn("smtputf8"),
        )

    def replies(self) -> list[Reply]:
        """The complete replies in the buffer, taken out of it (multi-line ones joined by \\n)."""
        out: list[Reply] = []
        lines: list[bytes] = []
        start = 0
        buf = self.buffer
        while (end := buf.find(b"\n", start)) >= 0:
            line = bytes(buf[start:end]).rstrip(b"\r")
            start = end + 1
            lines.append(line[4:].strip())
            if line[3:4] != b"-":
                try:
                    code = int(line[:3])
                except ValueError:
                    code = -1
                out.append((code, b"\n".join(lines)))
                lines = []
                consumed = start
        if out:
            del buf[:consumed]
        return out


class Sessions:
    """Drive transactions on several sessions at once from this thread.

    ``start`` gives an idle session a transaction; ``poll`` waits until some replies arrive
    (or a deadline passes) and advances every transaction they concern, calling
    ``finished(session, token, outcome)`` for each one that ends, where the outcome is the
    dict of refused recipients or the exception the transaction (or the connection) raised.
    A session whose connection failed is dropped (closed) before ``finished`` hears of it.

    ``timeout`` bounds the wait for each reply; ``exchange_timeout`` (default: no more than
    that) a whole transaction, MAIL to the reply to the end of DATA, and a QUIT. A transaction
    past either ends with a ``TimeoutError`` (:class:`ExchangeTimeout` for the second).
    """

    def __init__(
        self,
        timeout: float,
        finished: Callable[[Session, object, object], None],
        *,
        exchange_timeout: float | None = None,
    ) -> None:
        self.timeout = timeout
        self.exchange_timeout = timeout if exchange_timeout is None else exchange_timeout
        self.finished = finished
        self.selector = selectors.DefaultSelector()
        self.open: list[Session] = []

    def add(self, session: Session) -> None:
        self.open.append(session)
        self.selector.register(session.sock, selectors.EVENT_READ, session)

    def idle(self) -> Session | None:
        return next((s for s in self.open if s.step is None), None)

    @property
    def busy(self) -> int:
        return sum(1 for s in self.open if s.step is not None)

    def start(self, session: Session, token: object, step: Transaction) -> None:
        session.step, session.token = step, token
        now = time.monotonic()
        session.ends = now + self.exchange_timeout
        session.deadline = min(now + self.timeout, session.ends)
        self._advance(session, None)

    def poll(self) -> None:
        """Wait for the next replies (at most until the earliest deadline) and act on them."""
        busy = [s for s in self.open if s.step is not None]
        if not busy:
            return
        timeout = max(0.0, min(s.deadline for s in busy) - time.monotonic())
        for key, _events in self.selector.select(timeout):
            session: Session = key.data
            if session in self.open:
                self._read(session)
        now = time.monotonic()
        for session in [s for s in self.open if s.step is not None and s.deadline <= now]:
            if session.ends <= now:
                self._fail(session, ExchangeTimeout(self.exchange_timeout))
            else:
                self._fail(session, TimeoutError("timed out"))

    def close(self, session: Session, *, quit: bool) -> None:
        """Drop a session: QUIT first if it is healthy and idle."""
        if session not in self.open:
            return
        self.open.remove(session)
        self.selector.unregister(session.sock)
        if quit and session.step is None and not session.closing:
            try:
                with deadline(session.smtp, self.exchange_timeout):
                    session.smtp.quit()
                return
            except (smtplib.SMTPException, OSError):
                pass
        session.smtp.close()

    def close_all(self) -> None:
        for session in list(self.open):
            self.close(session, quit=True)
        self.selector.close()

    # --- internals ----------------------------------------------------------------------------

    def _read(self, session: Session) -> None:
        try:
            data = session.sock.recv(65536)
            # TLS: a record may have left more decrypted bytes than one recv returned.
            while data and isinstance(session.sock, ssl.SSLSocket) and session.sock.pending():
                data += session.sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return
        except OSError as exc:
            self._fail(session, exc)
            return
        if not data:
            self._fail(session, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
            return
        if session.step is None:
            # Nothing asked: the server is ending the session (a 421 on its idle timeout).
            self.close(session, quit=False)
            return
        session.buffer += data
        # Each reply restarts the wait for the next, never past the transaction's end: a server
        # that sends a byte at a time must not keep it going for ever.
        session.deadline = min(time.monotonic() + self.timeout, session.ends)
        for reply in session.replies():
            if session.step is None:
                break  # more replies than the transaction waits for: the session is confused
            self._advance(session, reply)
            if session not in self.open:
                return

    def _advance(self, session: Session, reply: Reply | None) -> None:
        step = session.step
        assert step is not None
        try:
            out = step.send(reply)
            while out is not None:
                if out is CLOSE:
                    session.closing = True
                else:
                    assert isinstance(out, bytes)
                    self._write(session, out)
                out = step.send(None)
        except StopIteration as stop:
            self._end(session, stop.value)
            return
        except smtplib.SMTPException as exc:
            self._end(session, exc)
            return
        except OSError as exc:
            self._fail(session, exc)
            return

    def _write(self, session: Session, data: bytes) -> None:
        # sendall is bounded by the socket's timeout as a whole (Python 3.5+); near the
        # transaction's end, by what is left of it instead.
        left = session.ends - time.monotonic()
        limit = session.sock.gettimeout()
        if limit is None or left >= limit:
            session.sock.sendall(data)
            return
        if left <= 0:
            raise ExchangeTimeout(self.exchange_timeout)
        session.sock.settimeout(left)
        try:
            session.sock.sendall(data)
        except TimeoutError as exc:
            raise ExchangeTimeout(self.exchange_timeout) from exc
        finally:
            session.sock.settimeout(limit)

    def _end(self, session: Session, outcome: object) -> None:
        token = session.token
        session.step, session.token = None, None
        if session.closing:
            self.close(session, quit=False)
        self.finished(session, token, outcome)

    def _fail(self, session: Session, exc: BaseException) -> None:
        # The connection is gone or stuck: whatever it carried ends with this error, unless the
        # transaction was resetting after a refusal, which keeps that refusal as its outcome.
        token, step = session.token, session.step
        session.step, session.token = None, None
        outcome: object = exc
        if step is not None:
            try:
                step.throw(exc)
            except StopIteration as stop:
                outcome = stop.value
            except smtplib.SMTPException as raised:
                outcome = raised
            except BaseException as raised:  # the error thrown in, coming back out
                outcome = raised
            finally:
                step.close()
        self.close(session, quit=False)
        if token is not None:
            self.finished(session, token, outcome)
