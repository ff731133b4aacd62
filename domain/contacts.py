"""Staff contact details: what counts as a well-formed email address."""

from __future__ import annotations

import re

# One @, no spaces, a dot in the domain, no empty labels: what a mail server can route. Deeper
# checks (does the mailbox exist) are the SMTP server's.
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
MAX_EMAIL = 254  # RFC 5321's limit on a forward path


def staff_email(value: str) -> str:
    """The address trimmed, with its domain in lower case; ValueError when it is not one."""
    address = value.strip()
    local, _, domain = address.rpartition("@")
    if (
        len(address) > MAX_EMAIL
        or not _EMAIL_RE.match(address)
        or len(local) > 64
        or ".." in local
        or local.startswith(".")
        or local.endswith(".")
    ):
        raise ValueError("not a well-formed email address")
    return f"{local}@{domain.lower()}"
