"""Open cases an operator may merge a new call into (并单), found by address, content or phone."""

from __future__ import annotations

import re
from uuid import UUID

import asyncpg

from repository import case_search

MAX_WORDS = 5
MIN_PHONE_DIGITS = 4  # the last digits of a number: fewer would match nearly everyone
LIMIT = 20


def words_of(text: str) -> list[str]:
    """The words to look for: split on spaces and punctuation, at most MAX_WORDS."""
    return [w for w in re.split(r"[\s,，。;；、]+", text.strip()) if w][:MAX_WORDS]


def phone_digits(phone: str) -> str | None:
    """The digits of a phone number (a mobile number's last 11: +86 or not), or None."""
    digits = re.sub(r"\D", "", phone)[-11:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


async def open_cases(
    pool: asyncpg.Pool, *, text: str, phone: str, excluding: UUID | None = None
) -> list[asyncpg.Record]:
    """Open cases whose address or content holds every word of `text`, or whose citizen's phone
    ends with the digits of `phone`; the newest first."""
    async with pool.acquire() as conn:
        return await case_search.open_cases_matching(
            conn,
            words=words_of(text),
            phone_digits=phone_digits(phone),
            excluding=excluding,
            limit=LIMIT,
        )
