"""Writes of the case workflow (issue 3): transitions, clocks, ladder steps, co-handling.

Every statement is idempotent under activity retries: events by (inquiry, event_key), tasks by
(inquiry, task_key), steps by (inquiry, step_key), notices by dedupe_key.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.transition import CaseColumns, CoHandlingRecord, TaskChange
from repository import Conn

_COLUMNS = tuple(CaseColumns.__dataclass_fields__)


async def set_state(
    conn: Conn,
    *,
    inquiry_id: str,
    status: str,
    unit_code: str | None,
    columns: CaseColumns,
) -> None:
    values = {k: v for k, v in asdict(columns).items() if v is not None and k in _COLUMNS}
    if "merged_into" in values:
        values["merged_into"] = UUID(values["merged_into"])
    sets = ["status = $2", "unit_code = COALESCE($3, unit_code)", "updated_at = now()"]
    sets += [f"{name} = ${i}" for i, name in enumerate(values, start=4)]
    await conn.execute(
        f"UPDATE inquiries SET {', '.join(sets)} WHERE id = $1",
        UUID(inquiry_id),
        status,
        unit_code,
        *values.values(),
    )


async def change_tasks(
    conn: Conn, *, inquiry_id: str, seq: int, at: datetime, change: TaskChange
) -> None:
    opened = f"{seq}:{change.open_unit}:{change.open_kind}" if change.open_unit else None
    if change.close_open:
        # The task this same change opens is spared: a retried activity must not close it.
        await conn.execute(
            "UPDATE tasks SET status = 'done', completed_at = $2"
            " WHERE inquiry_id = $1 AND status = 'open' AND kind NOT IN ('cohandling', 'reach_citizen')"
            " AND task_key IS DISTINCT FROM $3",
            UUID(inquiry_id),
            at,
            opened,
        )
    if change.open_unit is not None:
        await conn.execute(
            """
            INSERT INTO tasks (inquiry_id, unit_code, kind, task_key, due_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (inquiry_id, task_key) DO NOTHING
            """,
            UUID(inquiry_id),
            change.open_unit,
            change.open_kind,
            opened,
            change.due_at,
            at,
        )


async def save_clocks(
    conn: Conn,
    *,
    inquiry_id: str,
    cycle: int,
    clocks: dict[str, tuple[dict[str, Any], datetime | None, bool]],
    projected_at: datetime,
) -> None:
    """Upsert each target's ledger and due time; earlier cycles become inactive. One statement
    (one round trip) for all the targets of a plan."""
    targets = list(clocks)
    await conn.execute(
        """
        WITH retired AS (
            UPDATE sla_clocks SET active = false WHERE inquiry_id = $1 AND cycle < $2
        )
        INSERT INTO sla_clocks (inquiry_id, target, cycle, ledger, due_at, provisional,
                                active, projected_at)
        SELECT $1, c.target, $2, c.ledger::jsonb, c.due_at, c.provisional, true, $3
        FROM unnest($4::text[], $5::text[], $6::timestamptz[], $7::boolean[])
            AS c(target, ledger, due_at, provisional)
        ON CONFLICT (inquiry_id, target, cycle) DO UPDATE
        SET ledger = EXCLUDED.ledger, due_at = EXCLUDED.due_at,
            provisional = EXCLUDED.provisional, active = true,
            projected_at = EXCLUDED.projected_at
        """,
        UUID(inquiry_id),
        cycle,
        projected_at,
        targets,
        [json.dumps(clocks[t][0]) for t in targets],
        [clocks[t][1] for t in targets],
        [clocks[t][2] for t in targets],
    )


async def set_due_times(
    conn: Conn,
    *,
    inquiry_id: str,
    ack_due: datetime | None,
    reply_due: datetime | None,
    follow_up_due: datetime | None,
    provisional: bool,
    paused: bool,
) -> None:
    await conn.execute(
        """
        UPDATE inquiries SET ack_due_at = $2, reply_due_at = COALESCE($3, reply_due_at),
            followup_due_at = $4, due_provisional = $5, paused = $6, updated_at = now()
        WHERE id = $1
        """,
        UUID(inquiry_id),
        ack_due,
        reply_due,
        follow_up_due,
        provisional,
        paused,
    )


async def clocks(conn: Conn, *, inquiry_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT target, cycle, ledger, due_at, provisional, active, projected_at"
        " FROM sla_clocks WHERE inquiry_id = $1 ORDER BY cycle, target",
        inquiry_id,
    )


async def save_cohandling(conn: Conn, *, record: CoHandlingRecord) -> None:
    """Open, answer or escalate one co-handling unit's part; never moves backwards."""
    await conn.execute(
        """
        INSERT INTO cohandling (inquiry_id, unit_code, status, due_at, content, answered_by,
                                answered_at)
        VALUES ($1, $2, $3::text, $4, $5, $6,
                CASE WHEN $3::text = 'open' THEN NULL ELSE $7::timestamptz END)
        ON CONFLICT (inquiry_id, unit_code) DO UPDATE
        SET status = EXCLUDED.status, content = EXCLUDED.content,
            answered_by = EXCLUDED.answered_by, answered_at = EXCLUDED.answered_at
        WHERE cohandling.status = 'open'
        """,
        UUID(record.inquiry_id),
        record.unit_code,
        record.status,
        record.due_at,
        record.content,
        record.answered_by,
        record.at,
    )
    if record.status == "open":
        await conn.execute(
            """
            INSERT INTO tasks (inquiry_id, unit_code, kind, task_key, due_at, created_at)
            VALUES ($1, $2::text, 'cohandling', 'co:' || $2::text, $3, $4)
            ON CONFLICT (inquiry_id, task_key) DO NOTHING
            """,
            UUID(record.inquiry_id),
            record.unit_code,
            record.due_at,
            record.at,
        )
    else:
        await conn.execute(
            "UPDATE tasks SET status = 'done', completed_at = $3"
            " WHERE inquiry_id = $1 AND task_key = 'co:' || $2::text AND status = 'open'",
            UUID(record.inquiry_id),
            record.unit_code,
            record.at,
        )


async def cohandling(conn: Conn, *, inquiry_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT unit_code, status, due_at, content, answered_by, answered_at FROM cohandling"
        " WHERE inquiry_id = $1 ORDER BY unit_code",
        inquiry_id,
    )


async def policy_row(conn: Conn, *, category: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM categories WHERE code = $1", category)


# Targets an urgent (or normal) inquiry of a category may override (migration 004).
PRIORITY_FIELDS = ("ack_within", "ack_repeat_minutes", "reply_within", "followup_days")


async def priority_override(conn: Conn, *, category: str, priority: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM category_priorities WHERE category = $1 AND priority = $2",
        category,
        priority,
    )


async def priority_overrides(conn: Conn, *, category: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM category_priorities WHERE category = $1 ORDER BY priority", category
    )


async def set_priority_override(
    conn: Conn, *, category: str, priority: str, fields: dict[str, float | None]
) -> asyncpg.Record:
    """Insert or replace the overrides of one (category, priority); None clears a field."""
    values = [fields.get(name) for name in PRIORITY_FIELDS]
    row = await conn.fetchrow(
        f"""
        INSERT INTO category_priorities (category, priority, {", ".join(PRIORITY_FIELDS)})
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (category, priority) DO UPDATE
        SET {", ".join(f"{n} = EXCLUDED.{n}" for n in PRIORITY_FIELDS)}, updated_at = now()
        RETURNING *
        """,
        category,
        priority,
        *values,
    )
    assert row is not None, "an upsert with RETURNING answers a row"
    return row


async def unit_is_active(conn: Conn, *, code: str) -> bool:
    """Whether a case may be sent to this unit: it exists and is active."""
    return bool(await conn.fetchval("SELECT 1 FROM units WHERE code = $1 AND active", code))


async def open_case_workflow_ids_of_category(conn: Conn, *, category: str) -> list[str]:
    """Workflow ids of a category's open cases whose workflow re-projects (v2 on)."""
    rows = await conn.fetch(
        "SELECT workflow_id FROM inquiries"
        " WHERE category = $1 AND closed_at IS NULL AND workflow_version >= 2",
        category,
    )
    return [r["workflow_id"] for r in rows]
