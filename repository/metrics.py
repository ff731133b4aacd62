"""Reads of the domain metrics (service/metrics.py): counts grouped by their labels, one
statement per metric family, read at scrape time so every API replica reports the same."""

from __future__ import annotations

import asyncpg

from repository import Conn
from repository.dashboard import open_by_unit_and_status as open_by_unit_and_status
from repository.inquiries import overdue_by_unit as overdue_by_unit


async def escalations_by_level(conn: Conn) -> list[asyncpg.Record]:
    """Ladder steps fired so far, by level (domain.policy.STEP_LEVEL); rows are only added."""
    return await conn.fetch(
        "SELECT level, count(*) AS steps FROM escalations GROUP BY level ORDER BY level"
    )


async def notifications_by_channel_and_state(conn: Conn) -> list[asyncpg.Record]:
    """Notifications by channel and delivery state (queued, sent, failed: to be retried,
    gave_up), the states the outbox dispatcher moves them through (migration 006)."""
    return await conn.fetch(
        """
        SELECT channel, status, count(*) AS notices
        FROM notifications GROUP BY 1, 2 ORDER BY 1, 2
        """
    )


async def intake_by_channel(conn: Conn) -> list[asyncpg.Record]:
    """Cases received so far, by the channel they came through."""
    return await conn.fetch(
        "SELECT channel, count(*) AS cases FROM inquiries GROUP BY channel ORDER BY channel"
    )
