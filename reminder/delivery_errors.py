"""What a failed delivery says: English where it is kept, the user's language where it is shown.

A notifier's failure (``DeliveryResult.detail``) goes into the outbox row's ``last_error``, the
daemon's log and ``--json``: all read by scripts and by whoever helps the user, so it is English,
as the reasons a row was cancelled are (``outbox.py``). Its words are one of the messages below,
filled by :func:`english`; what a third party said (a server's reply, an OS error, a program's
last line on stderr) goes into its placeholders as it came.

Where a person reads it (``show``, ``status``, ``notify test``, a letter not sent),
:func:`translated` finds the message the text was filled from, reads the values back out of it
and fills the user's translation with them: a value that is itself one of the fragments below
(``exit 3``) is translated too, the rest stay as they came. This keeps the column plain text —
``--json`` and every row written before stay as they are — at the price of a parse. A value is
read shortest first (a host, a program: what follows it, ``: ``, is rarely in it), a ``path``
longest first (a path may hold ``: ``; the OS's reason after it does not). A value that holds
what follows it anyway is still shown whole: only where the translation's punctuation falls can
move (``tests/test_delivery_errors.py`` reads back each message filled with awkward values). A
text that is none of these messages (a row written by a version that stored the user's language,
a plugin's own words, a library's exception) is shown as it is.

Every message here is already in the catalogue or marked for it (``N_``); a notifier that adds a
failure adds its message here, or its failure is shown in English.
"""

from __future__ import annotations

from .i18n import N_

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

__all__ = [
    "APPRISE_FAILED",
    "APPRISE_NOT_INSTALLED",
    "AUTH_REFUSED",
    "BUS_ADDRESS_MISSING",
    "BUS_NOT_FOUND",
    "BUS_REFUSED",
    "CANNOT_BUILD",
    "CANNOT_OPEN",
    "CANNOT_RUN",
    "CANNOT_WRITE",
    "COMMAND_FAILED",
    "COMMAND_NOT_FOUND",
    "COMMAND_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_FAILED",
    "CONNECTION_REFUSED",
    "DESKTOP_TIMEOUT",
    "DNS_FAILED",
    "EXCHANGE_TIMEOUT",
    "EXIT_STATUS",
    "INVALID_BUS_ADDRESS",
    "KILLED_BY_SIGNAL",
    "MESSAGE_REJECTED",
    "NOTIFIER_NOT_CONFIGURED",
    "NOT_AN_ADDRESS",
    "NOT_TAKEN",
    "NOT_UTF8",
    "NO_ANSWER",
    "NO_BUS",
    "NO_SERVER",
    "NO_STDERR",
    "NO_WINDOW",
    "PASSWORD_FILE_EMPTY",
    "PASSWORD_FILE_UNREADABLE",
    "PASSWORD_VARIABLE_EMPTY",
    "PASSWORD_VARIABLE_UNSET",
    "RECIPIENT_REFUSED",
    "SENDER_REFUSED",
    "SHORT_WRITE",
    "TLS_HANDSHAKE",
    "TLS_UNTRUSTED",
    "english",
    "translated",
]

# --- e-mail -------------------------------------------------------------------------------------
DNS_FAILED = N_("DNS: cannot resolve %(host)s: %(why)s")
TLS_UNTRUSTED = N_(
    "TLS: certificate of %(where)s not trusted: %(why)s (set ca_file, or fix the server's certificate)"
)
TLS_HANDSHAKE = N_("TLS: handshake with %(where)s failed: %(why)s")
AUTH_REFUSED = N_("authentication: %(where)s refused the username or password: %(reply)s")
RECIPIENT_REFUSED = N_("recipient refused: %(refused)s")
SENDER_REFUSED = N_("sender %(sender)s refused: %(reply)s")
EXCHANGE_TIMEOUT = N_("timeout: %(where)s did not finish an exchange within %(seconds)s s")
NO_ANSWER = N_("timeout: no answer from %(where)s")
CONNECTION_CLOSED = N_("connection: %(where)s closed the connection: %(why)s")
MESSAGE_REJECTED = N_("%(where)s rejected the message: %(reply)s")
CONNECTION_REFUSED = N_("connection: %(where)s refused the connection")
CONNECTION_FAILED = N_("connection: %(where)s: %(why)s")
CANNOT_BUILD = N_("cannot build the e-mail: %(error)s")
NOT_AN_ADDRESS = N_("recipient: not an e-mail address: %(addresses)s")
PASSWORD_VARIABLE_UNSET = N_("the password variable $%(name)s is not set")
PASSWORD_VARIABLE_EMPTY = N_("the password variable $%(name)s is empty")
PASSWORD_FILE_EMPTY = N_("password_file %(path)s is empty")
PASSWORD_FILE_UNREADABLE = N_("cannot read password_file %(path)s: %(why)s")
NOT_UTF8 = N_("not UTF-8 text")  # a fragment: why a password_file cannot be read

# --- command ------------------------------------------------------------------------------------
COMMAND_NOT_FOUND = N_("command not found: %(program)s")
CANNOT_RUN = N_("cannot run %(program)s: %(why)s")
COMMAND_TIMEOUT = N_("timeout: %(program)s did not finish within %(seconds)ss")
COMMAND_FAILED = N_("%(program)s %(status)s: %(why)s")
EXIT_STATUS = N_("exit %(n)d")  # fragments: a program's end (COMMAND_FAILED's status)
KILLED_BY_SIGNAL = N_("killed by signal %(n)d")
NO_STDERR = N_("(no output on stderr)")  # a fragment: COMMAND_FAILED's why when there is none

# --- desktop ------------------------------------------------------------------------------------
NO_SERVER = N_("no notification server (%(name)s) on the session bus %(address)s")
NO_BUS = N_("no D-Bus session bus: cannot connect to %(address)s: %(why)s")
BUS_ADDRESS_MISSING = N_(
    "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS points to %(path)s, which does not exist"
)
BUS_NOT_FOUND = N_(
    "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and %(path)s does not exist "
    "(is a desktop session running for this user?)"
)
NOT_TAKEN = N_("the notification server did not take the notification")
INVALID_BUS_ADDRESS = N_("invalid D-Bus address %(address)s: %(why)s")
BUS_REFUSED = N_("the session bus %(address)s refused us: %(why)s")
DESKTOP_TIMEOUT = N_("timeout: the notification server did not answer within %(seconds)ss")

# --- log, apprise, the outbox -------------------------------------------------------------------
SHORT_WRITE = N_("short write to %(path)s (%(written)d/%(size)d bytes)")
CANNOT_WRITE = N_("cannot write %(path)s: %(why)s")
CANNOT_OPEN = N_("cannot open %(path)s: %(why)s")
APPRISE_NOT_INSTALLED = N_("apprise is not installed: pip install 'reminder[apprise]'")
APPRISE_FAILED = N_("apprise reported a failure")  # apprise's failure when it logged no reason
NOTIFIER_NOT_CONFIGURED = N_("notifier %(name)s is not configured")
NO_WINDOW = N_("case %(id)s has no review window")

# Whole texts a failure can be. APPRISE_FAILED is not one: it ends a line of apprise's own
# ("urls[0] (…): apprise reported a failure"), which is shown as it is.
_SENTENCES = (
    DNS_FAILED,
    TLS_UNTRUSTED,
    TLS_HANDSHAKE,
    AUTH_REFUSED,
    RECIPIENT_REFUSED,
    SENDER_REFUSED,
    EXCHANGE_TIMEOUT,
    NO_ANSWER,
    CONNECTION_CLOSED,
    MESSAGE_REJECTED,
    CONNECTION_REFUSED,
    CONNECTION_FAILED,
    CANNOT_BUILD,
    NOT_AN_ADDRESS,
    PASSWORD_VARIABLE_UNSET,
    PASSWORD_VARIABLE_EMPTY,
    PASSWORD_FILE_EMPTY,
    PASSWORD_FILE_UNREADABLE,
    COMMAND_NOT_FOUND,
    CANNOT_RUN,
    COMMAND_TIMEOUT,
    COMMAND_FAILED,
    NO_SERVER,
    NO_BUS,
    BUS_ADDRESS_MISSING,
    BUS_NOT_FOUND,
    NOT_TAKEN,
    INVALID_BUS_ADDRESS,
    BUS_REFUSED,
    DESKTOP_TIMEOUT,
    SHORT_WRITE,
    CANNOT_WRITE,
    CANNOT_OPEN,
    APPRISE_NOT_INSTALLED,
    NOTIFIER_NOT_CONFIGURED,
    NO_WINDOW,
)
# A placeholder whose value is always one of these fragments (matched as one of them).
_ONE_OF: dict[str, dict[str, tuple[str, ...]]] = {COMMAND_FAILED: {"status": (EXIT_STATUS, KILLED_BY_SIGNAL)}}
# A placeholder whose value may be one of these fragments, or a third party's words.
_MAY_BE: dict[str, dict[str, tuple[str, ...]]] = {
    COMMAND_FAILED: {"why": (NO_STDERR,)},
    PASSWORD_FILE_UNREADABLE: {"why": (NOT_UTF8,)},
}
# Placeholders read longest first (see the module's docstring).
_LONGEST = frozenset({"path"})


def english(msgid: str, /, **named: object) -> str:
    """``msgid`` (one of the messages above) filled in English: the text kept and logged."""
    return msgid % named if named else msgid


def translated(text: str) -> str:
    """``text`` (a failure as :func:`english` wrote it) in the user's language; a text that is
    none of the messages here as it is. English gives back ``text`` itself."""
    from .i18n import SOURCE_LANGUAGE, current_language

    if current_language() == SOURCE_LANGUAGE or not text:
        return text
    found = _parse(text, [(m, _pattern(m, _ONE_OF.get(m, {}))) for m in _candidates(text)])
    if found is None:
        return text
    msgid, values = found
    from .i18n import _

    for name, fragments in {**_ONE_OF.get(msgid, {}), **_MAY_BE.get(msgid, {})}.items():
        part = _parse(str(values[name]), [(f, _pattern(f, {})) for f in fragments])
        if part is not None:
            values[name] = _(part[0], **part[1])
    return _(msgid, **values)


# --- reading a text back into its message and values ---------------------------------------------

# Each sentence with the words it starts and ends with, the most literal first: of two that
# match (``connection: %(where)s: %(why)s`` and ``connection: %(where)s refused the connection``),
# the one with more words of its own is the one the text was filled from.
_ends: list[tuple[str, str, str]] = []


def _candidates(text: str) -> list[str]:
    """The sentences ``text`` starts and ends as: the few whose patterns are worth compiling
    (all of them cost ``status`` 2 ms, each time a status bar polls it)."""
    if not _ends:
        for m in sorted(_SENTENCES, key=lambda m: -len(_placeholders().sub("", m))):
            parts = _placeholders().split(m)  # literal text at every third place
            _ends.append((m, parts[0], parts[-1]) if len(parts) > 1 else (m, m, ""))
    return [
        m
        for m, head, tail in _ends
        if len(text) >= len(head) + len(tail) and text.startswith(head) and text.endswith(tail)
    ]


def _placeholders() -> re.Pattern[str]:
    import re  # only to show a failure in another language: `show` and `status` import no re

    return re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])|%%")  # re caches it


def _pattern(msgid: str, one_of: dict[str, tuple[str, ...]], *, groups: bool = True) -> re.Pattern[str]:
    import re

    return re.compile(_regex(msgid, one_of, groups=groups), re.DOTALL)


def _regex(msgid: str, one_of: dict[str, tuple[str, ...]], *, groups: bool) -> str:
    import re

    out: list[str] = []
    seen: set[str] = set()
    pos = 0
    for m in _placeholders().finditer(msgid):
        out.append(re.escape(msgid[pos : m.start()]))
        pos = m.end()
        if m.group(0) == "%%":
            out.append("%")
            continue
        name, conversion = m.group(1), m.group(2)
        if name in seen:
            out.append(f"(?P={name})")
            continue
        seen.add(name)
        if name in one_of:
            body = "|".join(f"(?:{_regex(f, {}, groups=False)})" for f in one_of[name])
        elif conversion in "diu":
            body = r"-?\d+"
        elif name in _LONGEST:
            body = ".*"
        else:
            body = ".*?"
        out.append(f"(?P<{name}>{body})" if groups else f"(?:{body})")
    out.append(re.escape(msgid[pos:]))
    return "".join(out)


def _parse(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> tuple[str, dict[str, object]] | None:
    """The first message of ``patterns`` that ``text`` is, and the values it was filled with."""
    for msgid, pattern in patterns:
        m = pattern.fullmatch(text)
        if m is not None:
            conversions = {p.group(1): p.group(2) for p in _placeholders().finditer(msgid) if p.group(1)}
            values: dict[str, object] = {
                name: int(value) if conversions.get(name) in ("d", "i", "u") else value
                for name, value in m.groupdict().items()
            }
            return msgid, values
    return None
