"""E-mail addresses people type: ``[me] email`` in the config, ``--org-email`` on a case.

One check for both, so the config and the command line refuse the same things. It is a
plausibility check (one ``@`` with something on each side, no blanks, no line breaks),
not a delivery test: whether the address exists only its mail server can say.
"""

from __future__ import annotations

from email.utils import parseaddr

from .i18n import _

__all__ = ["check_email_address"]


def check_email_address(value: str) -> str:
    """The address in ``value`` (``a@b.example``, or ``Name <a@b.example>`` without the name: a
    letter names its recipient itself); ValueError naming ``value`` if it is not one address."""
    text = value.strip()
    if "\n" in text or "\r" in text:
        raise ValueError(_("%(value)s is not an e-mail address (it has a line break)", value=repr(value)))
    _name, addr = parseaddr(text)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in addr) or "," in text:
        raise ValueError(
            _("%(value)s is not an e-mail address (expected name@example.com)", value=repr(value))
        )
    return addr
