"""The operator calendar: day overrides on top of chinesecalendar, and the record of changes.

The connection must come from `core.db.create_pool` (jsonb is read and written as Python).
"""

from __future__ import annotations

from datetime import date

import asyncpg

from repository import Conn


async def list_days(conn: Conn, *, year: int | None) -> list[asyncpg.Record]:
    """The overrides in day order, all of them or those of one year."""
    return await conn.fetch(
        "SELECT day, working, note, updated_by, updated_at FROM calendar_days"
        " WHERE $1::int IS NULL"
        "    OR (day >= make_date($1::int, 1, 1) AND day < make_date($1::int + 1, 1, 1))"
        " ORDER BY day",
        year,
    )


async def set_days(conn: Conn, *, days: dict[date, tuple[bool, str]], updated_by: str) -> int:
    """Create or replace the overrides (day -> (working, note)); returns how many were written."""
    if not days:
        return 0
    ordered = sorted(days)
    await conn.execute(
        "INSERT INTO calendar_days (day, working, note, updated_by)"
        " SELECT d.day, d.working, d.note, $4"
        " FROM unnest($1::date[], $2::boolean[], $3::text[]) AS d (day, working, note)"
        " ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, note = EXCLUDED.note,"
        "   updated_by = EXCLUDED.updated_by, updated_at = now()",
        ordered,
        [days[d][0] for d in ordered],
        [days[d][1] for d in ordered],
        updated_by,
    )
    return len(ordered)


async def delete_days(conn: Conn, *, days: list[date]) -> list[date]:
    """Remove overrides; returns the days that had one, in order."""
    rows = await conn.fetch(
        "DELETE FROM calendar_days WHERE day = ANY($1::date[]) RETURNING day", list(days)
    )
    return sorted(r["day"] for r in rows)


async def overrides(conn: Conn) -> dict[date, bool]:
    """Every override as day -> working, the `extra` argument of domain.calendar."""
    rows = await conn.fetch("SELECT day, working FROM calendar_days")
    return {r["day"]: r["working"] for r in rows}


async def record_change(
    conn: Conn,
    *,
    changed_by: str,
    days: list[date],
    reason: str,
    cases_notified: int = 0,
) -> int:
    """Append a change to calendar_changes; returns its id."""
    change_id = await conn.fetchval(
        "INSERT INTO calendar_changes (changed_by, days, reason, cases_notified)"
        " VALUES ($1, $2, $3, $4) RETURNING id",
        changed_by,
        [d.isoformat() for d in sorted(days)],
        reason,
        cases_notified,
    )
    assert change_id is not None
    return int(change_id)


async def set_cases_notified(conn: Conn, *, change_id: int, cases_notified: int) -> None:
    """Fill in how many open cases were told, once the (committed) change went out."""
    await conn.execute(
        "UPDATE calendar_changes SET cases_notified = $2 WHERE id = $1", change_id, cases_notified
    )


async def open_case_workflow_ids(conn: Conn) -> list[str]:
    """Workflow ids of open cases whose workflow re-projects on a calendar change (v2 on)."""
    rows = await conn.fetch(
        "SELECT workflow_id FROM inquiries"
        " WHERE closed_at IS NULL AND workflow_version >= 2 ORDER BY received_at, workflow_id"
    )
    return [r["workflow_id"] for r in rows]
