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
