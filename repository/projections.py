"""The open cases' stored ledgers, read for a preview of a calendar or policy change."""

from __future__ import annotations

import asyncpg

from repository import Conn


async def open_case_clocks(conn: Conn, *, category: str | None) -> list[asyncpg.Record]:
    """The active ledgers of the open cases a change would re-project (those the change tells:
    not closed, run by the case workflow), of one category or of all; a row per ledger."""
    return await conn.fetch(
        """
        SELECT i.id AS inquiry_id, i.tracking_code, i.status, i.category, i.priority,
               c.target, c.cycle, c.ledger
        FROM inquiries i JOIN sla_clocks c ON c.inquiry_id = i.id AND c.active
        WHERE i.closed_at IS NULL AND i.workflow_version >= 2
          AND ($1::text IS NULL OR i.category = $1)
        ORDER BY i.received_at, i.id, c.target
        """,
        category,
    )
