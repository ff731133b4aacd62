"""Finding an open case an operator may merge a new call into (并单): by address, content or
the caller's phone number."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.case import FINISHED, CaseStatus
from repository import Conn

# A case others can still be merged into is neither finished nor itself merged.
_NOT_OPEN = sorted({*FINISHED, CaseStatus.MERGED})


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def open_cases_matching(
    conn: Conn,
    *,
    words: list[str],
    phone_digits: str | None,
    excluding: UUID | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Open cases whose address or content holds every word (ILIKE), or whose citizen phone ends
    with the digits; the newest first."""
    if not words and not phone_digits:
        return []
    return await conn.fetch(
        """
        SELECT id, tracking_code, status, category, channel, unit_code, content, address,
               received_at, reply_due_at
        FROM inquiries
        WHERE closed_at IS NULL AND NOT (status = ANY($1::text[]))
          AND ($2::uuid IS NULL OR id <> $2)
          AND (
            (cardinality($3::text[]) > 0 AND NOT EXISTS (
                SELECT 1 FROM unnest($3::text[]) AS w (pattern)
                WHERE NOT (coalesce(address, '') ILIKE w.pattern OR content ILIKE w.pattern)))
            OR ($4::text IS NOT NULL AND citizen_phone LIKE '%' || $4)
          )
        ORDER BY received_at DESC, id
        LIMIT $5
        """,
        _NOT_OPEN,
        excluding,
        [_like(w) for w in words],
        phone_digits,
        limit,
    )
