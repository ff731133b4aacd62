"""Masking of personal data for logs, staff lists and the citizen's public page."""

from __future__ import annotations

import re
from typing import Any

_PHONE_RE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})[- ]?(\d{4})(?!\d)")
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")

PERSONAL_KEYS = frozenset(
    {"phone", "email", "name", "citizen_phone", "citizen_email", "citizen_name", "recipient"}
)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 138****5678."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if phone.lstrip().startswith("+86") or (digits.startswith("86") and len(digits) == 13):
        digits = digits[2:]  # the country code says nothing; mask the national number
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str | None) -> str | None:
    """Keep the first letter and the domain: z***@example.com."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str | None:
    """Keep the family name only: 张*, or J*** for a Latin name."""
    if not name:
        return name
    return name[0] + "*" * max(1, min(len(name) - 1, 3))


def mask_contact(value: str | None) -> str | None:
    """Mask a recipient that may be an email address or a phone number; a unit code stays."""
    if value and "@" in value:
        return mask_email(value)
    if value and len(re.sub(r"\D", "", value)) >= 7:
        return mask_phone(value)
    return value


def mask_text(text: str) -> str:
    """Mask phone numbers and email addresses wherever they appear in free text."""
    text = _EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PHONE_RE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)
    return _LANDLINE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_value(key: str, value: Any) -> Any:
    """Mask one structured value by what its key says it holds, then any contact in its text."""
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    lowered = key.lower()
    if lowered.endswith("name") and lowered in PERSONAL_KEYS:
        return mask_name(value)
    if lowered in PERSONAL_KEYS:
        return mask_contact(value)
    return mask_text(value)
