"""The SMTP mail transaction as a generator (reminder.notifiers.smtp.transaction), fed replies by
hand: what it writes, when it waits, and what it returns or raises. The e-mail notifier's tests
run the same generator against a real aiosmtpd; these cover the replies that server will not
give on demand (421 mid-transaction, a session lost during RSET)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from reminder.notifiers.smtp import CLOSE, Reply, Transaction, quote_periods, transaction

OK: Reply = (250, b"OK")
GO: Reply = (354, b"End data with <CR><LF>.<CR><LF>")


def drive(step: Transaction, replies: Iterator[Reply]) -> tuple[list[object], object]:
    """Run a transaction as Sessions does; returns what it yielded (bytes or CLOSE) and its outcome."""
    out: list[object] = []
    value: Reply | None = None
    try:
        while True:
            got = step.send(value)
            value = None
            if got is None:
                value = next(replies)
            else:
                out.append(got)
    except StopIteration as stop:
        return out, stop.value
    except smtplib.SMTPException as exc:
        return out, exc


def plain(
    sender: str = "r@example.org", rcpts: tuple[str, ...] = ("me@example.org",), **kw: bool
) -> Transaction:
    options = {"pipelining": False, "size": False, "smtputf8": False, **kw}
    return transaction(sender, list(rcpts), b"Subject: x\r\n\r\nbody\r\n", **options)


def test_one_command_at_a_time_without_pipelining() -> None:
    out, outcome = drive(plain(), iter([OK, OK, GO, OK]))
    assert out == [
        b"mail from:<r@example.org>\r\n",
        b"rcpt to:<me@example.org>\r\n",
        b"data\r\n",
        b"Subject: x\r\n\r\nbody\r\n.\r\n",
    ]
    assert outcome == {}


def test_pipelining_writes_the_envelope_at_once_and_size_is_declared() -> None:
    step = transaction(
        "r@example.org",
        ["a@example.org", "b@example.org"],
        b"x\r\n",
        pipelining=True,
        size=True,
        smtputf8=False,
    )
    out, outcome = drive(step, iter([OK, OK, (550, b"no such user"), GO, OK]))
    envelope = b"mail from:<r@example.org> size=3\r\nrcpt to:<a@example.org>\r\nrcpt to:<b@example.org>\r\n"
    assert out[0] == envelope + b"data\r\n"
    assert outcome == {"b@example.org": (550, b"no such user")}


def test_421_on_a_recipient_closes_the_session_without_a_reset() -> None:
    out, outcome = drive(plain(rcpts=("a@example.org", "b@example.org")), iter([OK, (421, b"shutting down")]))
    assert out[-1] is CLOSE and b"rset\r\n" not in out and b"data\r\n" not in out
    assert isinstance(outcome, smtplib.SMTPRecipientsRefused)
    assert outcome.recipients == {"a@example.org": (421, b"shutting down")}


def test_a_refused_sender_resets_the_session() -> None:
    out, outcome = drive(plain(), iter([(451, b"try later"), OK]))
    assert out == [b"mail from:<r@example.org>\r\n", b"rset\r\n"]
    assert isinstance(outcome, smtplib.SMTPSenderRefused) and outcome.smtp_code == 451


def test_a_refusal_stands_when_the_session_ends_before_the_reset_is_answered() -> None:
    # Sessions throws the lost connection into the transaction: the refusal is still its outcome,
    # so the message is not sent again over a new connection as if nothing had been said.
    step = plain()
    assert step.send(None) == b"mail from:<r@example.org>\r\n"
    assert step.send(None) is None
    assert step.send((550, b"sender rejected")) == b"rset\r\n"
    assert step.send(None) is None
    with pytest.raises(smtplib.SMTPSenderRefused) as raised:
        step.throw(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    assert raised.value.smtp_code == 550


def test_a_refused_message_after_data_resets_and_raises() -> None:
    out, outcome = drive(plain(), iter([OK, OK, GO, (554, b"spam"), OK]))
    assert out[-1] == b"rset\r\n"
    assert isinstance(outcome, smtplib.SMTPDataError) and outcome.smtp_code == 554


def test_non_ascii_addresses_need_smtputf8() -> None:
    out, outcome = drive(plain(sender="josé@example.org"), iter([]))
    assert out == [] and isinstance(outcome, smtplib.SMTPNotSupportedError)
    assert "SMTPUTF8" in str(outcome)
    out, outcome = drive(plain(sender="josé@example.org", smtputf8=True), iter([OK, OK, GO, OK]))
    assert out[0] == "mail from:<josé@example.org> SMTPUTF8\r\n".encode() and outcome == {}


@pytest.mark.parametrize(
    ("data", "sent"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
        (b".a\r\n..b\r\n.\r\n", b"..a\r\n...b\r\n..\r\n.\r\n"),
        (b"no final newline", b"no final newline\r\n.\r\n"),
    ],
)
def test_quote_periods(data: bytes, sent: bytes) -> None:
    assert quote_periods(data) == sent
