"""The email notifier against a real SMTP server (aiosmtpd) on 127.0.0.1.

Covers plain delivery to a loopback relay, STARTTLS and implicit TLS with a
self-signed certificate, AUTH, a server that refuses and then accepts, one
connection per batch, a deterministic Message-ID, and that the password never
leaks into logs, describe() or results.
"""

from __future__ import annotations

import email
import logging
import os
import smtplib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given
from hypothesis import strategies as st
from trickle_smtp import trickling_smtp

from reminder.errors import ConfigError
from reminder.models import Message
from reminder.notifiers import build_notifiers
from reminder.notifiers.base import NotifierContext
from reminder.notifiers.email import EmailNotifier, EmailOptions, classify_smtp_error
from reminder.notifiers.email_options import is_loopback
from reminder.notifiers.email_render import build_mime, message_id, render_bytes

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "s3cr3t-Pa55-xyzzy"
USER = "alice"


def fixed_clock() -> datetime:
    return NOW


def msg(
    i: int = 1, *, kind: str = "deadline", html: str | None = None, subject: str | None = None
) -> Message:
    return Message(
        key=f"case-{i}:{kind}:0",
        case_id=f"case-{i}",
        kind=kind,
        subject=subject or f"Cancel roaming eSIM {i}: today is the deadline",
        text=f"Cancel roaming eSIM — today is the deadline.\n\nReference: R-{i} <&>\n",
        html=html,
        urgency="critical" if kind == "deadline" else "normal",
    )


# --- a recording SMTP server -------------------------------------------------------------------------


@dataclass
class Recorder:
    """An aiosmtpd handler that records messages; can refuse DATA or a recipient."""

    refuse_data: list[str] = field(default_factory=list)  # replies for the next DATA commands
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    sessions: set[Any] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    password: str = PASSWORD  # the one AUTH takes (a test rotates it)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_data:
                return self.refuse_data.pop(0)
            self.sessions.add(session.peer)
            parsed = email.message_from_bytes(envelope.content, policy=default_policy)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == self.password.encode()
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


class PipeliningRecorder(Recorder):
    """A Recorder whose server advertises RFC 2920 PIPELINING, as Postfix, Exim and Gmail do.

    aiosmtpd reads commands one line at a time whether or not they came in one write, so
    only the advertisement is missing for the notifier to take its pipelined path.
    """

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when no hook is set
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    host: str
    port: int
    recorder: Recorder


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def server_tls(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, cert: tuple[Path, Path]) -> Iterator[Server]:
    """A server; ``@pytest.mark.parametrize("smtp_server", [mode], indirect=True)`` picks the flavour."""
    mode = getattr(request, "param", "plain")
    recorder = PipeliningRecorder() if mode == "pipelining" else Recorder()
    kwargs: dict[str, Any] = {}
    if mode in ("starttls", "auth"):
        kwargs["tls_context"] = server_tls(cert)
        kwargs["require_starttls"] = True
    if mode == "tls":
        kwargs["ssl_context"] = server_tls(cert)
    if mode in ("auth", "auth-plain"):
        kwargs["authenticator"] = recorder.authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = mode == "auth"
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield Server("127.0.0.1", controller.port, recorder)
    finally:
        controller.stop()


def notifier(
    server: Server, security: str = "none", label: str | None = None, **options: Any
) -> EmailNotifier:
    opts = EmailOptions(
        host=server.host,
        port=server.port,
        security=security,  # type: ignore[arg-type]
        sender="Reminder <reminder@example.org>",
        recipients=["me@example.org"],
        **{"timeout": 5, **options},
    )
    return EmailNotifier(opts, label=label, clock=fixed_clock)


# --- delivery ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_plain_delivery_to_a_loopback_relay(smtp_server: Server) -> None:
    result = notifier(smtp_server).send(msg(1))
    assert result.ok, result.detail
    (received,) = smtp_server.recorder.messages
    assert smtp_server.recorder.envelopes == [("reminder@example.org", ["me@example.org"])]
    assert received["Message-ID"] == "<case-1=3Adeadline=3A0.email@reminder>"
    assert received["Subject"] == "Cancel roaming eSIM 1: today is the deadline"
    assert received["From"] == "Reminder <reminder@example.org>"
    assert received["To"] == "me@example.org"
    assert received["Date"] == "Tue, 10 Mar 2026 09:00:00 +0000"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Importance"] == "high"
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert plain is not None and html is not None
    assert "Reference: R-1 <&>" in plain.get_content()
    # Built from the text, escaped, when the message has no HTML.
    assert "Reference: R-1 &lt;&amp;&gt;" in html.get_content()


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (None, "<p>Cancel roaming eSIM"),
        ("<h2>Title</h2><p>body</p>", "<body>\n<h2>Title</h2><p>body</p>"),
        ("<html><body>whole</body></html>", "<html><body>whole</body></html>"),
    ],
)
def test_html_alternative(html: str | None, expected: str) -> None:
    mime = build_mime(msg(1, html=html), sender="a@b.c", recipients=["x@y.z"], now=NOW, notifier="email")
    body = mime.get_body(("html",))
    assert body is not None and expected in body.get_content()


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
@pytest.mark.parametrize(
    ("options", "ok", "problem", "detail"),
    [
        ({"ca_file": "CERT"}, True, "", "sent"),
        ({}, False, "tls", "certificate of 127.0.0.1:{port} not trusted: self-signed certificate"),
        ({"tls_verify": False}, True, "", "sent"),
    ],
)
def test_starttls_with_a_self_signed_certificate(
    smtp_server: Server, cert: tuple[Path, Path], options: dict[str, Any], ok: bool, problem: str, detail: str
) -> None:
    options = {k: (cert[0] if v == "CERT" else v) for k, v in options.items()}
    result = notifier(smtp_server, "starttls", **options).send(msg(1))
    assert (result.ok, result.problem) == (ok, problem), result.detail
    assert detail.format(port=smtp_server.port) in result.detail
    assert len(smtp_server.recorder.messages) == int(ok)


@pytest.mark.parametrize("smtp_server", ["tls"], indirect=True)
def test_implicit_tls(smtp_server: Server, cert: tuple[Path, Path]) -> None:
    result = notifier(smtp_server, "tls", ca_file=cert[0]).send(msg(1))
    assert result.ok, result.detail
    assert len(smtp_server.recorder.messages) == 1


@pytest.mark.parametrize("smtp_server", ["plain"], indirect=True)
def test_starttls_required_but_not_offered(smtp_server: Server) -> None:
    result = notifier(smtp_server, "starttls").send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (False, "tls", False)
    assert "does not offer STARTTLS" in result.detail


@pytest.mark.parametrize("smtp_server", ["auth"], indirect=True)
@pytest.mark.parametrize(
    ("password", "ok", "problem", "retryable"),
    [(PASSWORD, True, "", False), ("wrong-password", False, "auth", False)],
)
def test_auth_over_starttls(
    smtp_server: Server,
    cert: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    password: str,
    ok: bool,
    problem: str,
    retryable: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", password)
    n = notifier(smtp_server, "starttls", ca_file=cert[0], username=USER, password_env="TEST_SMTP_PASSWORD")
    result = n.send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (ok, problem, retryable), result.detail
    assert smtp_server.recorder.logins == ([USER] if ok else [])
    if not ok:
        assert result.detail.startswith("authentication: 127.0.0.1:")
        assert "535" in result.detail
    # The password never leaks.
    shown = repr(n.describe()) + result.detail + caplog.text + repr(n.options) + repr(n)
    assert password not in shown
    assert n.describe()["password"] == "********"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp_server", ["auth-plain"], indirect=True)
def test_auth_with_password_file(
    smtp_server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o644)
    config = tmp_path / "reminder.toml"
    config.write_text("")
    table = {
        "host": "localhost", "port": smtp_server.port, "security": "none", "username": USER,
        "password_file": "smtp-password",  # relative to the config file
        "sender": "r@example.org", "recipients": ["me@example.org"],
    }  # fmt: skip
    (n,) = build_notifiers({"email": table}, config_file=config)
    result = n.send(msg(1))  # the file is read when the connection logs in
    assert "smtp-password is readable by other users" in caplog.text
    assert result.ok, result.detail
    assert smtp_server.recorder.logins == [USER]
    assert PASSWORD not in caplog.text + repr(n.describe())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp_server", ["auth-plain"], indirect=True)
def test_a_rotated_password_file_is_used_at_the_next_login_without_a_reload(
    smtp_server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A secret manager replaces the file with a new password (and the server takes only that
    one): the next connection logs in with it. Read once at start, the old one was refused (535)."""
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o644)
    n = notifier(smtp_server, username=USER, password_file=secret)
    for i in (1, 2):
        result = n.send(msg(i))
        assert result.ok, result.detail
    # Read at each connection, warned about once (until the file changes), not once per message.
    assert caplog.text.count("is readable by other users") == 1

    rotated = "r0tated-Pa55-plugh"
    smtp_server.recorder.password = rotated
    new = tmp_path / "smtp-password.new"
    new.write_text(rotated + "\n")
    new.chmod(0o600)
    new.replace(secret)  # as a secret manager does: a whole new file, renamed into place
    result = n.send(msg(3))
    assert result.ok, result.detail
    assert smtp_server.recorder.logins == [USER] * 3
    got = [str(m["Message-ID"]) for m in smtp_server.recorder.messages]
    assert got == [message_id(msg(i).key, "email") for i in (1, 2, 3)]
    assert caplog.text.count("is readable by other users") == 1  # the new file is chmod 600
    assert PASSWORD not in caplog.text and rotated not in caplog.text + repr(n.describe())


def test_missing_password_variable_makes_it_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_PASSWORD", raising=False)
    n = EmailNotifier(
        EmailOptions(host="smtp.example.org", sender="a@b.cd", recipients=["x@y.zz"], username="u",
                     password_env="NOPE_PASSWORD")
    )  # fmt: skip
    assert n.availability() == (False, "the password variable $NOPE_PASSWORD is not set")
    result = n.send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)


def test_an_empty_password_variable_is_said_to_be_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    # `SMTP_PASSWORD=` in an EnvironmentFile: it was said to be "not set", which sent the person
    # looking for a variable that is there (failed before).
    monkeypatch.setenv("EMPTY_PASSWORD", "")
    n = EmailNotifier(
        EmailOptions(host="smtp.example.org", sender="a@b.cd", recipients=["x@y.zz"], username="u",
                     password_env="EMPTY_PASSWORD")
    )  # fmt: skip
    assert n.availability() == (False, "the password variable $EMPTY_PASSWORD is empty")
    result = n.send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (False, "config", False)


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_refuses_then_accepts(smtp_server: Server) -> None:
    smtp_server.recorder.refuse_data = ["451 4.3.0 Try again later"]
    n = notifier(smtp_server)
    first = n.send(msg(1))
    assert (first.ok, first.problem, first.retryable) == (False, "rejected", True)
    assert "451 4.3.0 Try again later" in first.detail
    second = n.send(msg(1))
    assert second.ok, second.detail
    (received,) = smtp_server.recorder.messages
    # The resend carries the same Message-ID, so clients can recognise it.
    assert received["Message-ID"] == message_id("case-1:deadline:0", "email")


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_permanent_refusal_is_not_retryable(smtp_server: Server) -> None:
    smtp_server.recorder.refuse_data = ["554 5.7.1 Spam detected"]
    result = notifier(smtp_server).send(msg(1))
    assert (result.ok, result.retryable) == (False, False)


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_recipient_refused(smtp_server: Server) -> None:
    smtp_server.recorder.refuse_rcpt = {"me@example.org": "550 5.1.1 No such user"}
    result = notifier(smtp_server).send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (False, "recipient", False)
    assert result.detail == "recipient refused: me@example.org: 550 5.1.1 No such user"


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_batch_uses_one_connection_and_isolates_failures(smtp_server: Server) -> None:
    n = notifier(smtp_server)
    smtp_server.recorder.refuse_data = []
    messages = [msg(i) for i in range(5)]
    # The third DATA is refused once: only that message fails.
    original = smtp_server.recorder.handle_DATA
    calls = {"n": 0}

    async def flaky(server: Any, session: Any, envelope: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            return "452 4.3.1 Insufficient system storage"
        return await original(server, session, envelope)

    smtp_server.recorder.handle_DATA = flaky  # type: ignore[method-assign]
    results = n.send_batch(messages)
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert results[2].retryable
    assert len(smtp_server.recorder.sessions) == 1
    # One connection per send without batching.
    for m in messages[:2]:
        assert n.send(m).ok
    assert len(smtp_server.recorder.sessions) == 3


def test_connection_refused_fails_every_message_of_the_batch() -> None:
    server = Server("127.0.0.1", free_port(), Recorder())
    results = notifier(server).send_batch([msg(1), msg(2)])
    assert [(r.ok, r.problem, r.retryable) for r in results] == [(False, "connection", True)] * 2
    assert results[0].detail == f"connection: 127.0.0.1:{server.port} refused the connection"


def test_timeout_when_the_server_never_answers() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        n = notifier(Server("127.0.0.1", port, Recorder()), timeout=0.3)
        result = n.send(msg(1))
    assert (result.ok, result.problem, result.retryable) == (False, "timeout", True)
    assert result.detail == f"timeout: no answer from 127.0.0.1:{port}"


# --- classification, ids and options as tables ------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "problem", "retryable", "detail"),
    [
        (socket.gaierror(-2, "Name or service not known"), "dns", True,
         "DNS: cannot resolve 'mail.example.org': Name or service not known"),
        (TimeoutError(), "timeout", True, "timeout: no answer from mail.example.org:587"),
        (ConnectionRefusedError(111, "Connection refused"), "connection", True,
         "connection: mail.example.org:587 refused the connection"),
        (OSError(101, "Network is unreachable"), "connection", True,
         "connection: mail.example.org:587: Network is unreachable"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "tls", True, "TLS: handshake"),
    ],
)  # fmt: skip
def test_classify(exc: BaseException, problem: str, retryable: bool, detail: str) -> None:
    result = classify_smtp_error(exc, host="mail.example.org", port=587)
    assert (result.ok, result.problem, result.retryable) == (False, problem, retryable)
    assert result.detail.startswith(detail)


@pytest.mark.parametrize(
    ("key", "notifier", "expected"),
    [
        ("case-1:deadline:0", "email", "<case-1=3Adeadline=3A0.email@reminder>"),
        ("case-1:deadline:0", "fallback", "<case-1=3Adeadline=3A0.fallback@reminder>"),
        ("a.b", "email", "<a=2Eb.email@reminder>"),
        ("a", "b.email", "<a.b=2Eemail@reminder>"),  # '.' is escaped: no collision with the one above
        ("a=3A", "email", "<a=3D3A.email@reminder>"),  # '=' is escaped too: no collision with "a:"
        ("a:", "email", "<a=3A.email@reminder>"),
        ("café 1", "邮件", "<caf=C3=A9=201.=E9=82=AE=E4=BB=B6@reminder>"),
        ("<x>@y", "email", "<=3Cx=3E=40y.email@reminder>"),
        ("", "", "<=00.=00@reminder>"),
    ],
)
def test_message_id_is_deterministic_and_valid(key: str, notifier: str, expected: str) -> None:
    assert message_id(key, notifier) == expected == message_id(key, notifier)
    parsed = email.message_from_string(f"Message-ID: {expected}\n\n", policy=default_policy)
    assert parsed["Message-ID"] == expected


@given(st.tuples(st.text(), st.text()), st.tuples(st.text(), st.text()))
def test_distinct_keys_and_notifiers_never_share_a_message_id(
    one: tuple[str, str], other: tuple[str, str]
) -> None:
    assert (message_id(*one) == message_id(*other)) == (one == other)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("mail.example.org", False), ("10.0.0.1", False), ("localhost.example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


BASE = {"host": "mail.example.org", "sender": "a@example.org", "recipients": ["b@example.org"]}


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({**BASE, "security": "none"}, 'security = "none" sends mail unencrypted'),
        (
            {**BASE, "security": "ssl"},
            "notifiers.email.security: Input should be 'starttls', 'tls' or 'none'",
        ),
        ({**BASE, "port": "abc"}, "notifiers.email.port: Input should be a valid integer"),
        ({**BASE, "port": 70000}, "notifiers.email.port: Input should be less than or equal to 65535"),
        ({**BASE, "recipients": []}, "notifiers.email.recipients: List should have at least 1 item"),
        (
            {**BASE, "recipients": ["nobody"]},
            "notifiers.email.recipients: 'nobody' is not an e-mail",
        ),
        ({**BASE, "sender": "x"}, "notifiers.email.sender: 'x' is not an e-mail address"),
        ({**BASE, "username": "u", "password_env": "A", "password_file": "f"}, "not both"),
        ({**BASE, "password_env": "A"}, "a password needs a username"),
        (
            {**BASE, "password": "inline"},
            "password: the password does not go in the config file; set password_env",
        ),
        ({**BASE, "timeout": 0}, "notifiers.email.timeout: Input should be greater than 0"),
        (
            {**BASE, "connections": 0},
            "notifiers.email.connections: Input should be greater than or equal to 1",
        ),
        (
            {**BASE, "connections": 17},
            "notifiers.email.connections: Input should be less than or equal to 16",
        ),
        ({"sender": "a@b.cd", "recipients": ["x@y.zz"]}, "notifiers.email.host: Field required"),
        (
            {**BASE, "ca_file": "/nonexistent/ca.pem"},
            "notifiers.email: ca_file: /nonexistent/ca.pem does not exist",
        ),
    ],
)
def test_option_errors(table: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_notifiers({"email": table}, config_file=Path("/home/u/.config/reminder/config.toml"))
    assert error in str(info.value)
    assert str(info.value).startswith("/home/u/.config/reminder/config.toml: notifiers.email")


def test_defaults_and_describe() -> None:
    (n,) = build_notifiers({"email": BASE})
    d = n.describe()
    assert d["security"] == "starttls" and d["port"] == 587 and d["timeout"] == 30.0
    assert d["password"] is None and d["tls_verify"] is True
    assert d["connections"] == n.opts.effective_connections == 4
    assert n.availability() == (True, "")
    # A relay on this machine gets more connections unless the config says how many.
    (local,) = build_notifiers({"email": {**BASE, "host": "127.0.0.1", "security": "none"}})
    assert local.describe()["connections"] == 8
    (chosen,) = build_notifiers(
        {"email": {**BASE, "host": "localhost", "security": "none", "connections": 2}}
    )
    assert chosen.describe()["connections"] == 2


def test_context_resolves_relative_ca_file(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    (tmp_path / "ca.pem").write_bytes(cert[0].read_bytes())
    n = EmailNotifier(
        EmailOptions(**BASE, ca_file=Path("ca.pem")), context=NotifierContext(config_file=tmp_path / "c.toml")
    )
    assert n.availability()[0]
    assert os.path.exists(tmp_path / "ca.pem")


def test_header_injection_and_line_breaks_are_flattened(smtp_server: Server) -> None:
    evil = Message(
        key="k\r\nBcc: victim@example.org",
        case_id="c1",
        kind="deadline",
        subject="Title pasted\nwith a line break\r\nBcc: victim@example.org",
        text="body",
    )
    result = notifier(smtp_server).send(evil)
    assert result.ok, result.detail
    (received,) = smtp_server.recorder.messages
    assert received["Subject"] == "Title pasted with a line break Bcc: victim@example.org"
    assert received["Bcc"] is None
    assert smtp_server.recorder.envelopes == [("reminder@example.org", ["me@example.org"])]


@pytest.mark.parametrize(
    ("subject", "sender", "recipients"),
    [
        ("Cancel roaming eSIM: today is the deadline", "reminder@example.org", ["me@example.org"]),
        (
            "Refund — the deadline passed 12 days ago (Wed 2026-03-25) — escalate " * 3,
            "r@example.org",
            ["a@example.org", "Bee <b@example.org>"],
        ),
        ("Injected\r\nBcc: victim@example.org", "r@example.org", ["me@example.org"]),
        ("Visa", "Bahraïn Reminder <r@example.org>", ["Zoë <z@example.org>"]),  # via build_mime
    ],
)
def test_fast_rendering_reads_back_like_build_mime(subject: str, sender: str, recipients: list[str]) -> None:
    """render_bytes (what is sent) parses to the same e-mail as the standard library's build_mime."""
    m = replace_subject(msg(3), subject)
    fast = email.message_from_bytes(
        render_bytes(m, sender=sender, recipients=recipients, now=NOW, notifier="email"),
        policy=default_policy,
    )
    slow = email.message_from_bytes(
        build_mime(m, sender=sender, recipients=recipients, now=NOW, notifier="email").as_bytes(),
        policy=default_policy,
    )
    for name in (
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "X-Reminder-Key",
        "X-Reminder-Kind",
        "Importance",
    ):
        assert str(fast[name]) == str(slow[name]), name
    assert fast["Bcc"] is None
    assert fast.get_content_type() == "multipart/alternative"
    for subtype in ("plain", "html"):
        a, b = fast.get_body((subtype,)), slow.get_body((subtype,))
        assert a is not None and b is not None
        assert a.get_content().replace("\r\n", "\n") == b.get_content().replace("\r\n", "\n")


# Not ASCII once on one line (as _one_line leaves it): a value of non-ASCII spaces alone (U+0085)
# becomes ASCII, so is not encoded at all, and decode_header gives it back as str, not bytes.
@given(st.text(min_size=1, max_size=200).filter(lambda v: not " ".join(v.split()).isascii()))
def test_encoded_words_hold_whole_characters_and_decode_back(value: str) -> None:
    from email.header import decode_header

    from reminder.notifiers.email_render import _header_text, _one_line

    encoded = _header_text(value)
    words = encoded.split("\r\n ")
    assert all(len(w) <= 75 for w in words)
    # Each word decodes on its own (no character cut in two) and together they are the value.
    parts = [decode_header(w)[0][0] for w in words]
    assert all(len(p) <= 45 for p in parts)  # type: ignore[arg-type]
    assert "".join(p.decode("utf-8") for p in parts) == _one_line(value)  # type: ignore[union-attr]
    # Greedy: a word ends short of 45 bytes only where the next character would not fit.
    for part, following in pairwise(parts):
        first = following.decode("utf-8")[0].encode()  # type: ignore[union-attr]
        assert len(part) + len(first) > 45  # type: ignore[arg-type]


def replace_subject(m: Message, subject: str) -> Message:
    from dataclasses import replace

    return replace(m, subject=subject)


# --- a catch-up over parallel connections (api.deliver_due with a real server) ---------------------


class _Overlapping(Recorder):
    """Holds each session's first DATA until another session has reached DATA too (or 5 s pass):
    connections used one after the other would each wait out the 5 s, and ``waited_out`` says so.
    ``fail_session`` (1-based, in order of first DATA) has every DATA of that session refused."""

    def __init__(self, fail_session: int = 0) -> None:
        super().__init__()
        self.order: list[Any] = []  # sessions, in the order of their first DATA
        self.waited_out = 0
        self.fail_session = fail_session
        self.refused: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        if session not in self.order:
            self.order.append(session)
            for _ in range(500):
                if len(self.order) > 1:
                    break
                await asyncio.sleep(0.01)
            else:
                self.waited_out += 1
        if self.order.index(session) + 1 == self.fail_session:
            parsed = email.message_from_bytes(envelope.content, policy=default_policy)
            self.refused.append(str(parsed["Message-ID"]))
            return "451 4.3.0 this connection is having a bad day"
        return await super().handle_DATA(server, session, envelope)


def _catch_up(tmp_env: Any, handler: _Overlapping, n: int, connections: int) -> tuple[Any, Any, Any]:
    from datetime import date, timedelta

    from reminder import api, outbox
    from reminder.config import load_settings
    from reminder.store import Store

    settings = load_settings()
    created = datetime(2026, 1, 1, tzinfo=UTC)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with Store(tmp_env.db_path) as store:
            for i in range(n):
                api.add_case(
                    store, settings, now=created, title=f"case {i}", organisation="Batelco",
                    submitted=date(2026, 1, 4) + timedelta(days=i % 20),
                )  # fmt: skip
            email_notifier = EmailNotifier(
                EmailOptions(
                    host="127.0.0.1", port=controller.port, security="none", sender="r@example.org",
                    recipients=["me@example.org"], timeout=10, connections=connections,
                ),
                label="log",  # the outbox rows of the default settings are the log notifier's
                clock=fixed_clock,
            )  # fmt: skip
            later = datetime(2026, 6, 1, 12, tzinfo=UTC)
            report = api.deliver_due(store, settings, [email_notifier], now=later)
            rows = {d.key: d for d in outbox.due(store, datetime(2027, 1, 1, tzinfo=UTC))}
            sent = {
                key: status
                for key, status in store.conn.execute("SELECT key, status FROM deliveries")
                if status in ("sent", "sending")
            }
    finally:
        controller.stop()
    return report, rows, sent


def test_catch_up_over_parallel_connections_delivers_each_message_once(tmp_env: Any) -> None:
    handler = _Overlapping()
    report, retry, sent = _catch_up(tmp_env, handler, 120, connections=4)
    assert (report.sent, report.failed, report.retried) == (120, 0, 0)
    ids = [str(m["Message-ID"]) for m in handler.messages]
    assert len(ids) == len(set(ids)) == 120  # every case's catch-up message, none twice
    assert set(ids) == {message_id(key, "log") for key in sent}
    assert set(sent.values()) == {"sent"} and not retry
    # Four connections, and they were open at the same time (no session waited out the others).
    assert len(handler.order) == 4 and handler.waited_out == 0


def test_a_failing_connection_loses_nothing_the_others_sent(tmp_env: Any) -> None:
    handler = _Overlapping(fail_session=2)
    report, retry, sent = _catch_up(tmp_env, handler, 100, connections=4)
    refused = set(handler.refused)
    delivered = {str(m["Message-ID"]) for m in handler.messages}
    assert refused and delivered and not refused & delivered
    assert len(refused) + len(delivered) == 100
    assert (report.sent, report.retried, report.failed) == (len(delivered), len(refused), 0)
    # The others' results are committed; the refused ones wait for their retry, and only they.
    assert {message_id(key, "log") for key in sent} == delivered and set(sent.values()) == {"sent"}
    assert {message_id(key, "log") for key in retry} == refused
    assert all(d.attempts == 1 and d.status == "planned" for d in retry.values())


def sendmail(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> dict[str, Any]:
    """One transaction over an open smtplib connection, driven by the notifier's own
    :class:`Sessions` (as ``send_stream`` drives them): what smtplib's ``sendmail`` returns or raises."""
    from reminder.notifiers.smtp import Session, Sessions, transaction

    outcome: list[object] = []
    sessions = Sessions(5, lambda _session, _token, result: outcome.append(result))
    session = Session.over(smtp)
    sessions.add(session)
    step = transaction(
        sender, recipients, data, pipelining=session.pipelining, size=session.size, smtputf8=session.smtputf8
    )
    sessions.start(session, "the message", step)
    while sessions.busy:
        sessions.poll()
    sessions.selector.close()  # the connection stays the caller's: smtplib closes it
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_envelope_parsed_once_speaks_like_smtplib_sendmail(smtp_server: Server) -> None:
    """The notifier's own MAIL/RCPT/DATA (addresses parsed once) against smtplib.sendmail's."""
    import smtplib

    recorder = smtp_server.recorder
    recorder.refuse_rcpt = {"gone@example.org": "550 5.1.1 No such user"}
    options: list[list[str]] = []
    original = recorder.handle_DATA

    async def record_options(server: Any, session: Any, envelope: Any) -> str:
        options.append(list(envelope.mail_options))
        return await original(server, session, envelope)

    recorder.handle_DATA = record_options  # type: ignore[method-assign]
    data = b"Subject: x\r\n\r\nbody\r\n"
    for send in (smtplib.SMTP.sendmail, sendmail):
        with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
            refused = send(smtp, "r@example.org", ["me@example.org", "gone@example.org"], data)
            assert refused == {"gone@example.org": (550, b"5.1.1 No such user")}
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send(smtp, "r@example.org", ["gone@example.org"], data)
            # The session is reset after the refusal and carries on.
            assert send(smtp, "r@example.org", ["me@example.org"], data) == {}
    assert options[:2] == options[2:] == [[f"SIZE={len(data)}"]] * 2
    assert recorder.envelopes[:2] == recorder.envelopes[2:]
    two = EmailOptions(
        host=smtp_server.host, port=smtp_server.port, security="none", sender="Me <r@example.org>",
        recipients=["me@example.org", "Gone <gone@example.org>"], timeout=5,
    )  # fmt: skip
    result = EmailNotifier(two, clock=fixed_clock).send(msg(1))
    assert result.ok and "refused gone@example.org: 550 5.1.1 No such user" in result.detail


@pytest.mark.parametrize("smtp_server", ["pipelining"], indirect=True)
def test_pipelining_server_gets_the_envelope_in_one_write(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a server that offers PIPELINING, MAIL, RCPT and DATA leave in one write: two round
    trips per message instead of four, which is what a distant server makes each message wait."""
    import socket

    writes: list[bytes] = []
    original_send = socket.socket.sendall

    def spy(self: socket.socket, data: Any, *args: Any) -> None:
        writes.append(bytes(data))
        original_send(self, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", spy)
    results = notifier(smtp_server).send_batch([msg(1), msg(9), msg(2)])
    assert [r.ok for r in results] == [True, True, True], [r.detail for r in results]
    envelopes = [w for w in writes if w.lower().startswith(b"mail from:")]
    assert len(envelopes) == 3
    assert all(w.lower().endswith(b"rcpt to:<me@example.org>\r\ndata\r\n") for w in envelopes)
    received = smtp_server.recorder.messages
    assert [m["Message-ID"] for m in received] == [
        message_id(k, "email") for k in ("case-1:deadline:0", "case-9:deadline:0", "case-2:deadline:0")
    ]


@pytest.mark.parametrize("smtp_server", ["plain", "pipelining"], indirect=True)
def test_lines_starting_with_a_dot_arrive_as_written(smtp_server: Server) -> None:
    # Rendered reminders are base64 and never have such lines; a plugin's raw bytes may.
    data = b"Subject: dots\r\n\r\n.starts with a dot\r\n..and two\r\n.\r\nend\r\n"
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
        assert sendmail(smtp, "r@example.org", ["me@example.org"], data) == {}
    (received,) = smtp_server.recorder.messages
    assert received.get_content().replace("\r\n", "\n") == ".starts with a dot\n..and two\n.\nend\n"


@pytest.mark.parametrize("smtp_server", ["pipelining"], indirect=True)
def test_pipelined_sender_refusal_resets_and_the_next_message_goes(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MAIL refused: the pipelined RCPT and DATA are refused after it (503), the session is reset,
    # and the batch carries on with the next message on the same connection.
    recorder = smtp_server.recorder
    calls = {"n": 0}

    async def refuse_first(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            return "451 4.3.2 Sender temporarily refused"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    recorder.handle_MAIL = refuse_first  # type: ignore[attr-defined]
    n = notifier(smtp_server)
    results = n.send_batch([msg(1), msg(2)])
    assert (results[0].ok, results[0].retryable) == (False, True)
    assert "451 4.3.2" in results[0].detail
    assert results[1].ok, results[1].detail
    assert [m["Message-ID"] for m in recorder.messages] == [message_id("case-2:deadline:0", "email")]
    assert len(recorder.sessions) == 1


@pytest.mark.parametrize("smtp_server", ["pipelining"], indirect=True)
def test_pipelined_data_accepted_after_every_recipient_was_refused(smtp_server: Server) -> None:
    # The DATA went out before the RCPT replies were read. A server that answers it with 354 all
    # the same gets an empty message to end the transaction, and the reminder is not counted sent.
    recorder = smtp_server.recorder
    refused = {"n": 0}

    async def refuse_but_keep(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        refused["n"] += 1
        envelope.rcpt_tos.append(address)  # inconsistent on purpose: DATA will be accepted
        return "550 5.1.1 No such user" if refused["n"] == 1 else "250 OK"

    recorder.handle_RCPT = refuse_but_keep  # type: ignore[method-assign]
    results = notifier(smtp_server).send_batch([msg(1), msg(2)])
    assert (results[0].ok, results[0].problem) == (False, "recipient")
    assert results[1].ok, results[1].detail
    # The empty message that closed the first transaction, then the second reminder.
    assert [m["Message-ID"] for m in recorder.messages] == [None, message_id("case-2:deadline:0", "email")]
    assert len(recorder.sessions) == 1


# --- send_stream: several connections from one thread ----------------------------------------------


def test_a_server_that_ends_each_session_after_two_messages_gets_each_message_once(
    smtp_server: Server,
) -> None:
    # Some servers cap messages per connection by closing it: the message whose MAIL met the
    # closed connection goes once more over a new one, and no message arrives twice.
    recorder = smtp_server.recorder
    per_session: dict[Any, int] = {}

    async def capped(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if per_session.get(session.peer, 0) == 2:
            server.transport.close()  # no reply: the client sees the connection end
            return "421 closing"
        per_session[session.peer] = per_session.get(session.peer, 0) + 1
        envelope.mail_from = address
        return "250 OK"

    recorder.handle_MAIL = capped  # type: ignore[attr-defined]
    results = notifier(smtp_server).send_batch([msg(i) for i in range(7)])
    assert [r.ok for r in results] == [True] * 7, [r.detail for r in results]
    ids = [str(m["Message-ID"]) for m in recorder.messages]
    assert sorted(ids) == sorted(message_id(f"case-{i}:deadline:0", "email") for i in range(7))
    assert len(recorder.sessions) == 4  # 2 + 2 + 2 + 1


def test_what_on_result_raises_ends_the_stream_after_the_messages_in_flight(smtp_server: Server) -> None:
    # The outbox raises from on_result to stop (SIGTERM): nothing new may start, and the messages
    # already handed to the server on the other connections must still be reported, or their
    # rows would stay "sending" and go out again.
    reported: list[int] = []

    def on_result(i: int, result: Any) -> None:
        assert result.ok, result.detail
        reported.append(i)
        raise RuntimeError("stop")

    n = notifier(smtp_server, connections=4)
    with pytest.raises(RuntimeError, match="stop"):
        n.send_stream([msg(i) for i in range(100)], on_result)
    received = sorted(str(m["Message-ID"]) for m in smtp_server.recorder.messages)
    assert 1 <= len(reported) <= 4 and len(set(reported)) == len(reported)
    assert received == sorted(message_id(f"case-{i}:deadline:0", "email") for i in reported)


def test_a_second_connection_that_cannot_open_leaves_the_stream_on_the_first(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiosmtpd cannot be told to refuse only a second connection, so _connect fails it here.
    n = notifier(smtp_server, connections=4)
    original = EmailNotifier._connect
    opened = {"n": 0}

    def connect_once(self: EmailNotifier) -> smtplib.SMTP:
        opened["n"] += 1
        if opened["n"] > 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return original(self)

    monkeypatch.setattr(EmailNotifier, "_connect", connect_once)
    results = n.send_batch([msg(i) for i in range(60)])
    assert [r.ok for r in results] == [True] * 60
    assert opened["n"] == 2 and len(smtp_server.recorder.sessions) == 1
    assert len(smtp_server.recorder.messages) == 60


# --- a server that answers one byte at a time (issue 15: no notifier can hold the daemon) ---------


def bounded(call: Any, seconds: float = 30) -> Any:
    """``call()`` in a thread: its value, or a failure if it is still running after ``seconds``
    (far beyond any deadline the tests set: it is held, and would be forever)."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still sending after {seconds} s: held by a server that trickles its answer")
    assert out, "the call raised (see the thread's traceback above)"
    return out[0]


@pytest.mark.parametrize("step", ["greeting", "ehlo", "data"])
def test_a_trickling_server_fails_the_message_at_the_exchange_deadline(step: str) -> None:
    # One byte every 0.2 s keeps a per-read timeout of 0.6 s from ever firing; only a deadline
    # for the whole exchange (connecting and greeting, or one message) ends it.
    with trickling_smtp(step, interval=0.2) as server:
        n = notifier(Server("127.0.0.1", server.port, Recorder()), timeout=0.6, exchange_timeout=1)
        result = bounded(lambda: n.send(msg(1)))
        assert server.trickling.is_set()
    assert (result.ok, result.problem, result.retryable) == (False, "timeout", True)
    assert result.detail == f"timeout: 127.0.0.1:{server.port} did not finish an exchange within 1 s"


def test_a_trickling_answer_to_quit_does_not_hold_a_message_that_was_sent() -> None:
    with trickling_smtp("quit", interval=0.2) as server:
        n = notifier(Server("127.0.0.1", server.port, Recorder()), timeout=0.6, exchange_timeout=1)
        result = bounded(lambda: n.send(msg(1)))
        assert server.trickling.is_set()
    assert result.ok, result.detail
    assert server.message_ids(server.accepted) == [message_id("case-1:deadline:0", "email")]


def _one_case_due(tmp_env: Any) -> Any:
    """The default settings, and one case in the store whose reminders are all due by June 2026."""
    from datetime import date

    from reminder import api
    from reminder.config import load_settings
    from reminder.store import Store

    settings = load_settings()
    with Store(tmp_env.db_path) as store:
        api.add_case(
            store, settings, now=datetime(2026, 1, 1, tzinfo=UTC), title="case", organisation="Batelco",
            submitted=date(2026, 1, 4),
        )  # fmt: skip
    return settings


def test_a_trickling_server_leaves_the_row_for_a_retry_with_the_same_message_id(tmp_env: Any) -> None:
    """Through the outbox: the message abandoned at the deadline is a retryable failure, its row
    is planned again with a retry time, and the retry (the server now answers) carries the same
    Message-ID, so a server that had in fact accepted the first copy shows a repeat, not a new mail."""
    from datetime import timedelta

    from reminder import api, outbox
    from reminder.store import Store

    settings = _one_case_due(tmp_env)
    later = datetime(2026, 6, 1, 12, tzinfo=UTC)  # long after its deadline: every reminder is due

    def deliver(port: int, now: datetime) -> Any:
        email_notifier = EmailNotifier(
            EmailOptions(
                host="127.0.0.1", port=port, security="none", sender="r@example.org",
                recipients=["me@example.org"], timeout=0.6, exchange_timeout=1,
            ),
            label="log",  # the outbox rows of the default settings are the log notifier's
            clock=fixed_clock,
        )  # fmt: skip
        with Store(tmp_env.db_path) as own:  # in the calling thread: sqlite3 connections stay in theirs
            return api.deliver_due(own, settings, [email_notifier], now=now)

    with trickling_smtp("data", interval=0.2) as server:
        report = bounded(lambda: deliver(server.port, later))
        assert (report.sent, report.retried, report.failed) == (0, 1, 0)
        with Store(tmp_env.db_path) as store:
            assert outbox.due(store, later) == []
            (row,) = [
                d for d in outbox.due(store, later + timedelta(days=1)) if d.status in ("planned", "sending")
            ]
        assert row.status == "planned" and row.attempts == 1
        assert row.next_attempt_at is not None and row.next_attempt_at > later
        assert (row.last_error or "").startswith("timeout:")
        server.trickle = False
        report = bounded(lambda: deliver(server.port, row.next_attempt_at))
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert server.message_ids(server.received) == [message_id(row.key, "log")] * 2
    assert server.message_ids(server.accepted) == [message_id(row.key, "log")]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp_server", ["auth-plain"], indirect=True)
@pytest.mark.parametrize("broken", ["missing", "empty"])
def test_a_password_file_missing_at_send_time_is_retried_and_sent_once_when_it_is_back(
    smtp_server: Server, tmp_env: Any, broken: str
) -> None:
    """Through the outbox and a real store. The file was read once, when the notifier was built:
    missing then, every e-mail failed for good as a configuration error, and stayed failed after the
    file came back. It is read at each connection now: its absence is a retryable failure naming
    the file, nothing reaches the server, and the retry, the file back, sends the e-mail once."""
    from datetime import timedelta

    from reminder import api, outbox
    from reminder.store import Store

    settings = _one_case_due(tmp_env)
    later = datetime(2026, 6, 1, 12, tzinfo=UTC)  # long after its deadline: every reminder is due
    secret = tmp_env.root / "smtp-password"
    if broken == "empty":
        secret.write_text("\n")
    # label: the outbox rows of the default settings are the log notifier's
    n = notifier(smtp_server, label="log", username=USER, password_file=secret)

    def deliver(now: datetime) -> Any:
        with Store(tmp_env.db_path) as own:
            return api.deliver_due(own, settings, [n], now=now)

    report = deliver(later)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0), report.errors
    with Store(tmp_env.db_path) as store:
        (row,) = outbox.due(store, later + timedelta(days=1))  # the catch-up message, and only it
    assert (row.status, row.attempts) == ("planned", 1)
    assert row.next_attempt_at is not None and row.next_attempt_at > later
    why = f"password_file {secret} is empty" if broken == "empty" else f"cannot read password_file {secret}"
    assert (row.last_error or "").startswith(why)
    assert smtp_server.recorder.logins == [] and smtp_server.recorder.messages == []

    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    report = deliver(row.next_attempt_at)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0), report.errors
    assert deliver(row.next_attempt_at + timedelta(days=1)).sent == 0
    assert [str(m["Message-ID"]) for m in smtp_server.recorder.messages] == [message_id(row.key, "log")]
    assert smtp_server.recorder.logins == [USER]
    with Store(tmp_env.db_path) as store:
        assert [
            (d.status, d.attempts) for d in outbox.list_deliveries(store, row.case_id) if d.id == row.id
        ] == [("sent", 2)]  # the failed attempt, then the one that sent it


@pytest.mark.parametrize("smtp_server", ["auth"], indirect=True)
def test_send_raw_sends_a_whole_message_to_its_own_recipients_over_the_same_tls_and_auth(
    smtp_server: Server, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A letter (reminder letter --send): built elsewhere, sent as it is, not to the reminder recipients.
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    n = notifier(smtp_server, "starttls", ca_file=cert[0], username=USER, password_env="TEST_SMTP_PASSWORD")
    letter = EmailMessage()
    letter["From"] = "Li Lei <li.lei@example.com>"
    letter["To"] = "complaints@batelco.example"
    letter["Subject"] = "Follow-up: BT-48213"
    letter["Message-ID"] = "<letter.1@example.com>"
    letter.set_content("Dear Sir or Madam,\n")
    result = n.send_raw(letter.as_bytes(), ["Batelco <complaints@batelco.example>"])
    assert result.ok, result.detail
    assert smtp_server.recorder.logins == [USER]
    assert smtp_server.recorder.envelopes == [("reminder@example.org", ["complaints@batelco.example"])]
    (got,) = smtp_server.recorder.messages
    assert got["Message-ID"] == "<letter.1@example.com>" and got["From"] == "Li Lei <li.lei@example.com>"
    smtp_server.recorder.refuse_rcpt["gone@batelco.example"] = "550 5.1.1 no such mailbox"
    refused = n.send_raw(letter.as_bytes(), ["gone@batelco.example"])
    assert (refused.ok, refused.problem, refused.retryable) == (False, "recipient", False)
    assert "550" in refused.detail and len(smtp_server.recorder.messages) == 1
    assert n.send_raw(b"x", ["nobody@"]).problem == "recipient"


@pytest.mark.parametrize(
    "table",
    [
        {"password": "hunter2"},
        {"host": "smtp.example.org", "security": "none"},
        {"username": "me", "password_env": "A", "password_file": "b"},
        {"password_env": "A"},
        {"sender": "not an address"},
        {"kinds": ["deadlin"]},
        {"type": "log", "level": "loud"},
        {"type": "apprise", "urls": ["ntfy.sh/topic"]},
        {"type": "desktop", "critical_kinds": ["deadlin"]},
    ],
)
def test_the_options_errors_are_in_the_users_language(table: dict[str, Any], monkeypatch: Any) -> None:
    # 'reminder config check' in Chinese said "password: the password does not go in the config
    # file; …" in English: the tables' own checks were not translated (nor a typo in any table's
    # kinds). A catalogue that marks every message shows which ones go through it.
    from pydantic import ValidationError

    from reminder import i18n
    from reminder.notifiers.apprise import AppriseOptions
    from reminder.notifiers.desktop import DesktopOptions
    from reminder.notifiers.email import EmailOptions
    from reminder.notifiers.log import LogOptions

    table = dict(table)
    model = {"log": LogOptions, "apprise": AppriseOptions, "desktop": DesktopOptions}.get(
        table.pop("type", "")
    )

    class Marking:
        def gettext(self, msgid: str) -> str:
            return "译:" + msgid

        def pgettext(self, context: str, msgid: str) -> str:
            return msgid

    monkeypatch.setitem(i18n._translations, "zh_CN", Marking())
    options = {"host": "127.0.0.1", "sender": "me@example.org", "recipients": ["me@example.org"], **table}
    with i18n.using_language("zh_CN"), pytest.raises(ValidationError) as info:
        if model is None:
            EmailOptions.model_validate(options)
        else:
            model.model_validate(table)
    assert "译:" in str(info.value), info.value


# --- two e-mail notifiers -----------------------------------------------------------------------------


class _RefusesTheFirst(Recorder):
    """Refuses its first DATA for good (a 5xx: a policy) and keeps that message's Message-ID."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if not self.refused:
                parsed = email.message_from_bytes(envelope.content, policy=default_policy)
                self.refused.append(str(parsed["Message-ID"]))
                return "554 5.7.1 message refused by policy"
        return await super().handle_DATA(server, session, envelope)


def test_two_email_notifiers_send_one_reminder_with_two_message_ids_each_kept_by_its_retry(
    tmp_env: Any, run_cli: Any
) -> None:
    """A main and a fallback mailbox, both reaching one inbox: the same reminder went out under one
    Message-ID from both, and a mail client dropped the second as a duplicate. Each notifier's copy
    has its own id now, and a resend of a copy (a refused one, handed back by `notify retry`) keeps
    the id it first had."""
    from reminder import outbox
    from reminder.store import Store

    recorder = _RefusesTheFirst()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        table = (
            f'type = "email"\nsecurity = "none"\nhost = "127.0.0.1"\nport = {controller.port}\n'
            'sender = "reminder@example.org"\nrecipients = ["me@example.org"]\n'
        )
        tmp_env.write_config(f"[notifiers.main]\n{table}[notifiers.fallback]\n{table}")
        added = run_cli("add", "--title", "Cancel eSIM", "--org", "Batelco", "--submitted", "2025-01-05")
        assert added.returncode == 0, added.stderr
        first = run_cli("daemon", "--once")  # exit 1: one copy was refused
        assert (first.returncode, first.stdout.split(",")[0]) == (1, "1 sent"), first.stderr
        retry = run_cli("notify", "retry")
        assert (retry.returncode, retry.stdout) == (0, "1 reminder will be sent again.\n"), retry.stderr
        again = run_cli("daemon", "--once")
        assert again.returncode == 0, again.stderr
    finally:
        controller.stop()
    with Store(tmp_env.db_path) as store:
        case_id = store.conn.execute("SELECT id FROM cases").fetchone()[0]
        sent = [d for d in outbox.list_deliveries(store, case_id) if d.status == "sent"]
    # One catch-up message per notifier, for one reminder.
    assert sorted(d.notifier for d in sent) == ["fallback", "main"] and len({d.key for d in sent}) == 1
    accepted = [str(m["Message-ID"]) for m in recorder.messages]
    assert {str(m["X-Reminder-Key"]) for m in recorder.messages} == {sent[0].key}
    assert len(accepted) == len(set(accepted)) == 2  # the two copies: two ids
    assert set(accepted) == {message_id(d.key, d.notifier) for d in sent}
    assert len(recorder.refused) == 1 and recorder.refused[0] in accepted  # the retry: the same id
