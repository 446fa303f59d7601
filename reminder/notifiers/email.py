"""The ``email`` notifier: sends reminders over SMTP, and says what went wrong when it cannot.

Its options (``[notifiers.email]``: STARTTLS by default, implicit TLS or, for loopback relays,
none) are :class:`~.email_options.EmailOptions`; the e-mail each reminder becomes is written by
:mod:`.email_render`; the SMTP transactions over several connections are :mod:`.smtp`'s. This
module holds the notifier itself: where its password comes from, the connection it opens (TLS,
STARTTLS, AUTH), the sends (``send_stream``, ``send_raw``) and the classification of what they
raise. Listing or checking the notifiers builds it without importing smtplib, ssl or the rest of
the sending side, which the first send imports.

The password never appears in logs, ``describe()`` or results. ``password_env``'s is read once,
when the notifier is built; ``password_file`` is read again for every connection, so a file that a
secret manager rotates, or that appears after the daemon started, is used without a reload. While
that file cannot give a password, a send fails as a retryable failure naming the file and why
(:class:`PasswordUnavailable`), and the outbox retries it: no reminder is lost to a file that
comes back.

``send_stream`` (how the outbox sends) drives up to ``connections`` SMTP connections at once from
one thread (:mod:`.smtp`), so a catch-up after downtime overlaps the server's work on one with ours
on another. A server that offers PIPELINING (RFC 2920; Postfix, Exim and the big providers do)
gets MAIL, RCPT and DATA in one write: two round trips per message instead of four. Failures are
classified (DNS, connection, timeout, TLS, authentication, recipient) so ``reminder notify test``
can name the problem.

``timeout`` bounds each wait for the server; ``exchange_timeout`` each exchange as a whole
(opening a connection through AUTH, one message from MAIL to the reply to its end, QUIT),
so a server that answers a byte at a time fails the message (a retryable timeout) instead
of holding the sender for ever.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Iterable, Sequence
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import SecretStr

from .. import delivery_errors as said
from ..delivery_errors import english
from ..errors import ConfigError
from ..i18n import N_, _
from .base import (
    DELIVERY_FAILURE,
    Clock,
    DeliveryResult,
    Notifier,
    NotifierContext,
    NotifierOptions,
    OnResult,
    Problem,
)
from .catalogue import EMAIL_SUMMARY
from .email_options import EmailOptions

if TYPE_CHECKING:
    import smtplib
    import ssl

    from ..models import Message
    from .smtp import Session, Transaction

__all__ = [
    "EmailNotifier",
    "EmailOptions",
    "PasswordUnavailable",
    "classify_smtp_error",
]

log = logging.getLogger(__name__)

# A stream opens one more connection (up to ``connections``) for every this many messages: a
# catch-up uses them all, a few reminders due at 09:00 go over one.
MESSAGES_PER_CONNECTION = 25


def _retryable_code(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


_REFUSED = N_("sent; refused %(parts)s")


def classify_smtp_error(exc: BaseException, *, host: str, port: int) -> DeliveryResult:
    """Turn an exception from connecting or sending into a failure that names the problem."""
    import smtplib
    import socket
    import ssl

    from .smtp import ExchangeTimeout

    where = f"{host}:{port}"
    problem: Problem
    if isinstance(exc, PasswordUnavailable):
        # Retryable: the file is read again at the next attempt, and may well be back by then.
        return DeliveryResult.failure(exc.english, problem="config")
    if isinstance(exc, socket.gaierror):
        return DeliveryResult.failure(
            english(said.DNS_FAILED, host=repr(host), why=exc.strerror or exc),
            problem="dns",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or getattr(exc, "reason", None) or str(exc)
        return DeliveryResult.failure(
            english(said.TLS_UNTRUSTED, where=where, why=reason),
            problem="tls",
        )
    if isinstance(exc, ssl.SSLError):
        why = getattr(exc, "reason", None) or exc
        return DeliveryResult.failure(english(said.TLS_HANDSHAKE, where=where, why=why), problem="tls")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryResult.failure(
            english(said.AUTH_REFUSED, where=where, reply=_reply(exc.smtp_code, exc.smtp_error)),
            problem="auth",
            retryable=False,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        text = str(exc)
        problem = "tls" if "STARTTLS" in text.upper() else "auth" if "AUTH" in text.upper() else "rejected"
        return DeliveryResult.failure(f"{where}: {text}", problem=problem, retryable=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{rcpt}: {_reply(code, msg)}" for rcpt, (code, msg) in exc.recipients.items())
        retry = all(_retryable_code(code) for code, _text in exc.recipients.values())
        return DeliveryResult.failure(
            english(said.RECIPIENT_REFUSED, refused=refused), problem="recipient", retryable=retry
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryResult.failure(
            english(said.SENDER_REFUSED, sender=exc.sender, reply=_reply(exc.smtp_code, exc.smtp_error)),
            problem="rejected",
            retryable=_retryable_code(exc.smtp_code),
        )
    if isinstance(exc, ExchangeTimeout):
        return DeliveryResult.failure(
            english(said.EXCHANGE_TIMEOUT, where=where, seconds=f"{exc.seconds:g}"),
            problem="timeout",
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
        # smtplib turns a read timeout into "connection unexpectedly closed".
        return DeliveryResult.failure(english(said.NO_ANSWER, where=where), problem="timeout")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryResult.failure(
            english(said.CONNECTION_CLOSED, where=where, why=exc),
            problem="connection",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryResult.failure(
            english(said.MESSAGE_REJECTED, where=where, reply=_reply(exc.smtp_code, exc.smtp_error)),
            problem="rejected",
            retryable=_retryable_code(exc.smtp_code),
        )
    if isinstance(exc, TimeoutError):
        return DeliveryResult.failure(english(said.NO_ANSWER, where=where), problem="timeout")
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryResult.failure(english(said.CONNECTION_REFUSED, where=where), problem="connection")
    if isinstance(exc, OSError):
        return DeliveryResult.failure(
            english(said.CONNECTION_FAILED, where=where, why=exc.strerror or exc), problem="connection"
        )
    return DeliveryResult.failure(f"{where}: {type(exc).__name__}: {exc}", problem="error")


class PasswordUnavailable(Exception):
    """``password_file`` gave no password when it was read: missing, unreadable or empty.

    ``why`` is the reason it could not be read (None: it is empty); never anything of its content.
    """

    def __init__(self, path: Path, why: str | None) -> None:
        self.path, self.why = path, why
        super().__init__(self.detail)

    @property
    def english(self) -> str:
        """On its own, as a failed send keeps and logs it: names the key, the file and why."""
        if self.why is None:
            return english(said.PASSWORD_FILE_EMPTY, path=self.path)
        return english(said.PASSWORD_FILE_UNREADABLE, path=self.path, why=self.why)

    @property
    def detail(self) -> str:
        """:attr:`english` in the user's language (``reminder notifiers``)."""
        from ..delivery_errors import translated

        return translated(self.english)

    @property
    def problem(self) -> str:
        """After the key (``notifiers.mail.password_file: …``): the file and why."""
        if self.why is None:
            return _("%(path)s is empty", path=self.path)
        why = _(said.NOT_UTF8) if self.why == said.NOT_UTF8 else self.why
        return _("cannot read %(path)s: %(why)s", path=self.path, why=why)


# What the "readable by other users" warning was last given for, per password_file: (device,
# inode, mode). The file is read for every connection; the warning comes again only once the
# file has changed (replaced by a rotation, or its mode changed), not on every message.
_warned: dict[Path, tuple[int, int, int]] = {}
_warned_lock = threading.Lock()


def _warn_if_readable(path: Path, st: os.stat_result) -> None:
    seen = (st.st_dev, st.st_ino, st.st_mode)
    readable = bool(st.st_mode & (stat.S_IRGRP | stat.S_IROTH))
    with _warned_lock:
        if _warned.get(path) == seen:
            return
        _warned[path] = seen
    if readable:
        log.warning("password_file %s is readable by other users: chmod 600 %s", path, path)


def _read_password_file(path: Path) -> SecretStr:
    """The password in ``path`` as it is now: its text without the line break that ends it.

    Raises :class:`PasswordUnavailable` when the file cannot be read, is not UTF-8 or is empty.
    """
    try:
        with open(path, encoding="utf-8") as f:
            st = os.fstat(f.fileno())  # the file read, even if the path is replaced meanwhile
            value = f.read().rstrip("\r\n")
    except OSError as exc:
        raise PasswordUnavailable(path, str(exc.strerror or exc)) from None
    except UnicodeDecodeError:  # its message would quote a byte of the password
        raise PasswordUnavailable(path, said.NOT_UTF8) from None
    _warn_if_readable(path, st)
    if not value:
        raise PasswordUnavailable(path, None)
    return SecretStr(value)


class EmailNotifier(Notifier):
    """Sends reminders by SMTP."""

    name = "email"
    Options = EmailOptions
    summary = EMAIL_SUMMARY

    def __init__(
        self,
        options: NotifierOptions,
        *,
        label: str | None = None,
        clock: Clock | None = None,
        context: NotifierContext | None = None,
    ) -> None:
        super().__init__(options, label=label, clock=clock, context=context)
        if not isinstance(options, EmailOptions):
            raise ConfigError(f"email notifier needs EmailOptions, got {type(options).__name__}")
        self.opts = options
        # The envelope, parsed once rather than four times per message (smtplib parses each
        # address again: ~40 µs a message, 0.4 s of a catch-up of 10,000).
        self._mail_from = parseaddr(options.sender)[1]
        self._rcpt_to = [addr for _name, addr in getaddresses(options.recipients)]
        # password_env's, read once; password_file is read for each connection (_login_password).
        self._password: SecretStr | None = None
        self._secret_problem = ""
        if options.password_env:
            value = os.environ.get(options.password_env)
            if value:
                self._password = SecretStr(value)
            elif value is None:
                self._secret_problem = english(said.PASSWORD_VARIABLE_UNSET, name=options.password_env)
            else:  # set to nothing (`SMTP_PASSWORD=` in an EnvironmentFile): said as such
                self._secret_problem = english(said.PASSWORD_VARIABLE_EMPTY, name=options.password_env)
        if options.ca_file is not None:
            ca = self.context.resolve(options.ca_file)
            if not ca.is_file():
                raise ConfigError(_("ca_file: %(path)s does not exist", path=ca))

    # --- configuration ---------------------------------------------------------------------------

    def _login_password(self) -> SecretStr | None:
        """The password for AUTH now: ``password_env``'s, read when the notifier was built, or
        ``password_file``'s, read now. Raises :class:`PasswordUnavailable`."""
        if self.opts.password_file is None:
            return self._password
        return _read_password_file(self.context.resolve(self.opts.password_file))

    def _password_file_problem(self) -> PasswordUnavailable | None:
        if self.opts.password_file is None:
            return None
        try:
            self._login_password()
        except PasswordUnavailable as exc:
            return exc
        return None

    def config_problems(self) -> list[tuple[str, str]]:
        # password_file only: a $password_env the person's shell lacks may well be set in the
        # daemon's environment (systemd's EnvironmentFile), where config check cannot look.
        problem = self._password_file_problem()
        return [("password_file", problem.problem)] if problem is not None else []

    def _ssl_context(self) -> ssl.SSLContext:
        import ssl

        opts = self.opts
        cafile = str(self.context.resolve(opts.ca_file)) if opts.ca_file else None
        context = ssl.create_default_context(cafile=cafile)
        if not opts.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    # --- delivery ---------------------------------------------------------------------------------

    def availability(self) -> tuple[bool, str]:
        if self._secret_problem:
            return False, said.translated(self._secret_problem)
        problem = self._password_file_problem()
        if problem is not None:
            return False, problem.detail
        return True, ""

    def _connect(self) -> smtplib.SMTP:
        import smtplib

        from .smtp import deadline

        opts = self.opts
        port = opts.effective_port
        # Before any connection is made: without a password there is nothing to log in with.
        password = self._login_password() if opts.username else None
        smtp: smtplib.SMTP
        # Made unconnected, so that the greeting too is read under the deadline; connect()
        # does not set the host TLS checks the certificate against, the constructor would.
        if opts.security == "tls":
            smtp = smtplib.SMTP_SSL(timeout=opts.timeout, context=self._ssl_context())
        else:
            smtp = smtplib.SMTP(timeout=opts.timeout)
        smtp._host = opts.host  # type: ignore[attr-defined]
        try:
            with deadline(smtp, opts.exchange_timeout):
                self._open(smtp, port, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _open(self, smtp: smtplib.SMTP, port: int, password: SecretStr | None) -> None:
        """Connect, greet, STARTTLS and AUTH, as ``smtplib.SMTP(host, port)`` and the rest would."""
        import smtplib

        opts = self.opts
        code, text = smtp.connect(opts.host, port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, text)
        smtp.ehlo()
        if opts.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    'the server does not offer STARTTLS (set security = "tls" for port 465)'
                )
            smtp.starttls(context=self._ssl_context())
            smtp.ehlo()
        if opts.username:
            if password is None:
                raise smtplib.SMTPNotSupportedError("no password for AUTH")
            smtp.login(opts.username, password.get_secret_value())

    def _fail(self, exc: BaseException) -> DeliveryResult:
        result = classify_smtp_error(exc, host=self.opts.host, port=self.opts.effective_port)
        log.warning("email %s: %s", self.label, result.detail, extra=DELIVERY_FAILURE)
        log.debug("email %s: %r", self.label, exc)
        return result

    def send(self, message: Message) -> DeliveryResult:
        return self.send_batch([message])[0]

    def send_batch(
        self, messages: Sequence[Message], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        results: list[DeliveryResult | None] = [None] * len(messages)

        def record(i: int, result: DeliveryResult) -> None:
            results[i] = result
            if on_result is not None:
                on_result(i, result)

        self.send_stream(messages, record)
        return [r for r in results if r is not None]

    def send_stream(self, messages: Iterable[Message], on_result: OnResult) -> None:
        """Send over up to ``connections`` SMTP connections at once, all driven from this thread
        (:mod:`.smtp`): one connection per ``MESSAGES_PER_CONNECTION`` messages the iterable
        says it holds (``len`` or ``__length_hint__``), so a few reminders go over one.

        Results come as each transaction ends, so out of order across connections. A message
        whose connection closed before its reply is sent once more over a new one, with the
        same Message-ID. What ``on_result`` raises ends the stream: no new message starts,
        those in flight finish and are reported, then the first exception propagates.
        """
        import smtplib
        from collections import deque
        from operator import length_hint

        from .email_render import render_bytes
        from .smtp import Session, Sessions, transaction

        if self._secret_problem:
            failed = DeliveryResult.failure(self._secret_problem, problem="config", retryable=False)
            for i, _message in enumerate(messages):
                on_result(i, failed)
            return
        width = min(
            self.opts.effective_connections, max(1, -(-length_hint(messages, 1) // MESSAGES_PER_CONNECTION))
        )
        source = enumerate(messages)
        # Pulled from ``source`` but not sent yet: (index, message, already retried once).
        waiting: deque[tuple[int, Message, bool]] = deque()
        raised: list[BaseException] = []

        def report(i: int, result: DeliveryResult) -> None:
            # Outside the transaction's error handling: a raise here is the caller's, not a failure.
            try:
                on_result(i, result)
            except BaseException as exc:
                if not raised:
                    raised.append(exc)
                else:
                    log.debug("email %s: on_result raised again: %r", self.label, exc)

        def finished(_session: Session, token: object, outcome: object) -> None:
            i, message, retried = cast("tuple[int, Message, bool]", token)
            if isinstance(outcome, smtplib.SMTPServerDisconnected) and not retried:
                # The server may cap messages per connection: once more over a new one.
                waiting.appendleft((i, message, True))
            elif isinstance(outcome, dict):
                report(i, self._accepted(message, outcome))
            else:
                assert isinstance(outcome, BaseException)
                report(i, self._fail(outcome))

        def take() -> tuple[int, Message, bool] | None:
            if waiting:
                return waiting.popleft()
            item = next(source, None)
            return None if item is None else (*item, False)

        opts = self.opts

        def begin(message: Message, session: Session) -> Transaction | DeliveryResult:
            try:
                data = render_bytes(
                    message,
                    sender=opts.sender,
                    recipients=opts.recipients,
                    now=self.clock(),
                    notifier=self.label,
                )
            except Exception as exc:  # a message that cannot be built fails alone
                log.debug("email %s: cannot send %s", self.label, message.key, exc_info=True)
                return DeliveryResult.failure(
                    english(said.CANNOT_BUILD, error=f"{type(exc).__name__}: {exc}"),
                    retryable=False,
                )
            return transaction(
                self._mail_from, self._rcpt_to, data,
                pipelining=session.pipelining, size=session.size, smtputf8=session.smtputf8,
            )  # fmt: skip

        sessions = Sessions(self.opts.timeout, finished, exchange_timeout=self.opts.exchange_timeout)
        try:
            while not raised:
                # Give every idle connection a message, opening more up to ``width``.
                while not raised and (sessions.idle() is not None or len(sessions.open) < width):
                    item = take()
                    if item is None:
                        break
                    session = sessions.idle()
                    if session is None:
                        try:
                            session = Session.over(self._connect())
                        except Exception as exc:
                            if sessions.open:  # the ones open carry on; no more are opened
                                log.debug("email %s: another connection failed: %r", self.label, exc)
                                width = len(sessions.open)
                                waiting.appendleft(item)
                                break
                            # Connecting failed: every message left fails the same way.
                            failed = self._fail(exc)
                            while item is not None and not raised:
                                report(item[0], failed)
                                item = take()
                            return
                        sessions.add(session)
                    step = begin(item[1], session)
                    if isinstance(step, DeliveryResult):
                        report(item[0], step)
                    else:
                        sessions.start(session, item, step)
                if not sessions.busy:
                    break  # nothing in flight and nothing left to start
                sessions.poll()
        finally:
            while sessions.busy:  # what is in flight finishes and is reported
                sessions.poll()
            sessions.close_all()
        if raised:
            raise raised[0]

    def send_raw(self, data: bytes, recipients: Sequence[str]) -> DeliveryResult:
        """Send one complete message, as it is (a letter built elsewhere), to ``recipients``
        instead of the configured ones, over a connection made as for reminders (TLS, AUTH).

        The envelope sender is the configured ``sender``, the account the server knows; the
        message's own From: may differ (the person the letter is from).
        """
        import contextlib
        import smtplib

        from .smtp import deadline

        if self._secret_problem:
            return DeliveryResult.failure(self._secret_problem, problem="config", retryable=False)
        rcpt = [addr for _name, addr in getaddresses(list(recipients))]
        if not rcpt or not all("@" in r.strip("@") for r in rcpt):
            return DeliveryResult.failure(
                english(said.NOT_AN_ADDRESS, addresses=", ".join(recipients)),
                problem="recipient",
                retryable=False,
            )
        try:
            smtp = self._connect()
            try:
                with deadline(smtp, self.opts.exchange_timeout):  # as every exchange of the notifier
                    refused = smtp.sendmail(self._mail_from, rcpt, data)
            finally:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
        except Exception as exc:
            return self._fail(exc)
        if refused:
            parts = "; ".join(f"{r}: {_reply(code, text)}" for r, (code, text) in refused.items())
            return DeliveryResult.success(_(_REFUSED, parts=parts))
        return DeliveryResult.success(
            _("sent to %(addresses)s via %(host)s", addresses=", ".join(rcpt), host=self.opts.host)
        )

    def _accepted(self, message: Message, refused: dict[str, tuple[int, bytes]]) -> DeliveryResult:
        if refused:
            # Some recipients have it: a retry would send them a duplicate, so it counts as sent.
            parts = "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in refused.items())
            log.warning("email %s: some recipients refused %s: %s", self.label, message.key, parts)
            return DeliveryResult.success(_(_REFUSED, parts=parts))
        return DeliveryResult.success(
            _("sent to %(n)d recipient(s) via %(host)s", n=len(self._rcpt_to), host=self.opts.host)
        )

    def describe(self) -> dict[str, object]:
        data = super().describe()
        data["port"] = self.opts.effective_port
        data["connections"] = self.opts.effective_connections
        available, problem = self.availability()
        has_password = self.opts.password_env or self.opts.password_file
        data["password"] = "********" if has_password and available else None
        if problem:
            data["problem"] = problem
        return data
