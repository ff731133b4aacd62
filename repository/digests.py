"""SQL of the scheduled digests: who receives them, each unit's open cases counted at a moment,
and the outbox row of a notice that belongs to no case."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.case import OPEN_STATUSES
from domain.digest import UnitLoad
from repository import Conn


async def unit_heads(conn: Conn) -> list[asyncpg.Record]:
    """Every active head of an active unit, with the unit's name and the head's address."""
    return await conn.fetch(
        """
        SELECT u.username, u.unit_code, u.email, coalesce(nullif(n.name_zh, ''), n.name) AS unit_name
        FROM users u JOIN units n ON n.code = u.unit_code
        WHERE u.role = 'unit_head' AND u.active AND n.active
        ORDER BY u.unit_code, u.username
        """
    )


async def supervisors(conn: Conn) -> list[asyncpg.Record]:
    """Every active supervisor, with the address the monthly summary goes to."""
    return await conn.fetch(
        "SELECT username, email FROM users WHERE role = 'supervisor' AND active ORDER BY username"
    )


async def unit_loads(conn: Conn, *, at: datetime, due_soon_until: datetime) -> dict[str, UnitLoad]:
    """Each unit's open cases at `at`: all of them, those due before `due_soon_until` and not
    yet overdue, and those overdue (clock running, past the reply due time; as the reports)."""
    rows = await conn.fetch(
        """
        SELECT unit_code,
               count(*) AS open,
               count(*) FILTER (WHERE NOT paused AND reply_due_at >= $2 AND reply_due_at < $3)
                   AS due_soon,
               count(*) FILTER (WHERE NOT paused AND reply_due_at < $2) AS overdue
        FROM inquiries
        WHERE status = ANY($1::text[]) AND unit_code IS NOT NULL
        GROUP BY unit_code
        """,
        sorted(OPEN_STATUSES),
        at,
        due_soon_until,
    )
    return {
        r["unit_code"]: UnitLoad(r["unit_code"], r["open"], r["due_soon"], r["overdue"])
        for r in rows
    }


async def queue_notice(
    conn: Conn,
    *,
    dedupe_key: str,
    kind: str,
    audience: str,
    channel: str,
    recipient: str,
    recipient_masked: str,
    subject: str,
    body: str,
    created_at: datetime,
) -> bool:
    """Put a notice of no case in the outbox once per key; False when the key was there."""
    inserted = await conn.fetchval(
        """
        INSERT INTO notifications (inquiry_id, dedupe_key, kind, audience, channel, recipient,
            recipient_masked, body, created_at, subject)
        VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
        """,
        dedupe_key,
        kind,
        audience,
        channel,
        recipient,
        recipient_masked,
        body,
        created_at,
        subject,
    )
    return inserted is not None
