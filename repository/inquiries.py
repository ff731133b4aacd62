"""Writes of the inquiry read model (from activities) and its reads (for the API).

Every write is idempotent: activities retry, so each statement either uses a natural key with
ON CONFLICT or only moves a row forward from the state it expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.case import OPEN_STATUSES, CaseStatus
from domain.models import InquiryInput
from repository import Conn

# 受理: the row and its `received` event, each once (the event may name the row its sibling
# inserts: the foreign key is checked at the statement's end), and the status the inquiry has.
# It is written twice at nearly the same instant: by the API once it started the workflow, and by
# the workflow's receive_and_route. `ON CONFLICT (id)` does not do for that: when both inserts
# pass PostgreSQL's check for a conflicting row before either is in the index, the second fails
# on the unique index of the tracking code or of the workflow id, which that clause does not cover
# (seen in the benchmark: an intake answered 500; the activity would have failed for good). With
# no target every unique index is covered, so the second waits for the first and does nothing;
# it then reads the row in a statement of its own, whose snapshot sees what the first committed.
# Should another inquiry hold the tracking code (about 84 random bits: never expected), no row is
# inserted and the event's foreign key refuses the statement: never silently.
_INSERT_RECEIVED = """
WITH inserted AS (
    INSERT INTO inquiries (id, tracking_code, workflow_id, channel, category, content,
        citizen_name, citizen_phone, citizen_email, address, district, external_ref,
        submitted_by, status, received_at, priority, lat, long, workflow_version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
    ON CONFLICT DO NOTHING
    RETURNING status
), event AS (
    INSERT INTO inquiry_events (inquiry_id, event_key, kind, actor, occurred_at, detail)
    VALUES ($1, 'received', 'received', $13, $15, $20)
    ON CONFLICT (inquiry_id, event_key) DO NOTHING
)
SELECT status FROM inserted
"""

# The row was there: move it to this workflow version if it has another; its status now.
_RECEIVED_BEFORE = """
WITH moved AS (
    UPDATE inquiries SET workflow_version = $2
    WHERE id = $1 AND workflow_version <> $2
    RETURNING status
)
SELECT coalesce((SELECT status FROM moved), (SELECT status FROM inquiries WHERE id = $1))
"""


async def record_received(
    conn: Conn, *, inquiry: InquiryInput, workflow_id: str, version: int
) -> str | None:
    """受理: the inquiry row and its first timeline event, once; the inquiry's status now. One
    statement when the row is new, two when it was there."""
    inquiry_id = UUID(inquiry.inquiry_id)
    status = await conn.fetchval(
        _INSERT_RECEIVED,
        inquiry_id,
        inquiry.tracking_code,
        workflow_id,
        inquiry.channel,
        inquiry.category,
        inquiry.content,
        inquiry.citizen.name,
        inquiry.citizen.phone,
        inquiry.citizen.email,
        inquiry.address,
        inquiry.district,
        inquiry.external_ref,
        inquiry.submitted_by,
        CaseStatus.RECEIVED.value,
        inquiry.received_at,
        inquiry.priority,
        inquiry.lat,
        inquiry.long,
        version,
        {"channel": inquiry.channel, "category": inquiry.category},
    )
    if status is None:
        status = await conn.fetchval(_RECEIVED_BEFORE, inquiry_id, version)
    return None if status is None else str(status)


async def add_event(
    conn: Conn,
    *,
    inquiry_id: str,
    event_key: str,
    kind: str,
    actor: str,
    occurred_at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append to the timeline once per event_key."""
    await conn.execute(
        """
        INSERT INTO inquiry_events (inquiry_id, event_key, kind, actor, occurred_at, detail)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (inquiry_id, event_key) DO NOTHING
        """,
        UUID(inquiry_id),
        event_key,
        kind,
        actor,
        occurred_at,
        detail or {},
    )


async def record_step(
    conn: Conn,
    *,
    inquiry_id: str,
    key: str,
    step: str,
    target: str,
    level: int,
    fired_at: datetime,
    due_at: datetime | None,
) -> None:
    """Store one ladder step once; a retried activity finds it there."""
    await conn.execute(
        """
        INSERT INTO escalations (inquiry_id, step, step_key, target, level, fired_at, due_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (inquiry_id, step_key) DO NOTHING
        """,
        UUID(inquiry_id),
        step,
        key,
        target,
        level,
        fired_at,
        due_at or fired_at,
    )


async def raise_escalation(conn: Conn, *, inquiry_id: str, level: int, overdue: bool) -> None:
    """The read model's level only rises; once overdue, a cycle stays overdue."""
    await conn.execute(
        """
        UPDATE inquiries
        SET escalation_level = GREATEST(escalation_level, $2),
            overdue = overdue OR $3, updated_at = now()
        WHERE id = $1
        """,
        UUID(inquiry_id),
        level,
        overdue,
    )


async def insert_notification(
    conn: Conn,
    *,
    inquiry_id: str | None,
    dedupe_key: str,
    kind: str,
    audience: str,
    channel: str,
    recipient: str,
    recipient_masked: str,
    body: str,
    created_at: datetime,
    subject: str = "",
    urgent: bool = False,
    webhook_id: int | None = None,
) -> bool:
    """Put a message in the outbox once per dedupe key (a notice of no case, such as a digest,
    has no inquiry); False when the key was already there. The outbox dispatcher
    (activities/dispatcher.py) delivers it."""
    inserted = await conn.fetchval(
        """
        INSERT INTO notifications (inquiry_id, dedupe_key, kind, audience, channel, recipient,
            recipient_masked, body, created_at, subject, urgent, webhook_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
        """,
        None if inquiry_id is None else UUID(inquiry_id),
        dedupe_key,
        kind,
        audience,
        channel,
        recipient,
        recipient_masked,
        body,
        created_at,
        subject,
        urgent,
        webhook_id,
    )
    return inserted is not None


async def mark_notification_sent(conn: Conn, *, notification_id: int) -> None:
    await conn.execute(
        """
        UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1
        WHERE id = $1 AND status <> 'sent'
        """,
        notification_id,
    )


# ---- reads for the API ----


async def get_inquiry(conn: Conn, *, inquiry_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM inquiries WHERE id = $1", inquiry_id)


async def status_of(conn: Conn, *, inquiry_id: UUID) -> str | None:
    """The recorded status, None while the inquiry is not recorded yet."""
    status = await conn.fetchval("SELECT status FROM inquiries WHERE id = $1", inquiry_id)
    return None if status is None else str(status)


async def get_by_tracking_code(conn: Conn, *, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM inquiries WHERE tracking_code = $1", code)


async def workflow_version(conn: Conn, *, inquiry_id: UUID) -> int | None:
    """The version of the workflow that runs the case; None while it is not recorded. A staff
    action reads only this before it goes to the case, not the whole row (issue 10)."""
    version = await conn.fetchval(
        "SELECT workflow_version FROM inquiries WHERE id = $1", inquiry_id
    )
    return None if version is None else int(version)


async def case_of_tracking_code(conn: Conn, *, code: str) -> tuple[UUID, int] | None:
    """The id and workflow version of the case a tracking code names."""
    row = await conn.fetchrow(
        "SELECT id, workflow_version FROM inquiries WHERE tracking_code = $1", code
    )
    return None if row is None else (row["id"], int(row["workflow_version"]))


async def list_events(conn: Conn, *, inquiry_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT kind, actor, occurred_at, detail FROM inquiry_events"
        " WHERE inquiry_id = $1 ORDER BY occurred_at, id",
        inquiry_id,
    )


async def list_notifications(
    conn: Conn, *, inquiry_id: UUID, audience: str | None = None
) -> list[asyncpg.Record]:
    """The case's notices to people (not its webhook deliveries), with their delivery state."""
    return await conn.fetch(
        "SELECT kind, audience, channel, recipient_masked, body, status, created_at, sent_at,"
        " attempts, provider_id, last_error, not_before, gave_up_at"
        " FROM notifications WHERE inquiry_id = $1 AND audience <> 'integration'"
        " AND ($2::text IS NULL OR audience = $2) ORDER BY created_at, id",
        inquiry_id,
        audience,
    )


async def list_escalations(conn: Conn, *, inquiry_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT step, level, fired_at, due_at FROM escalations WHERE inquiry_id = $1"
        " ORDER BY fired_at, level",
        inquiry_id,
    )


# Waiting for the unit's reply: only these can be overdue (domain.case.OPEN_STATUSES). Written
# into the SQL as literals, not bound as a parameter, so the planner can prove the predicate of
# the partial indexes of migration 006 (a bound array would hide it from a generic plan).
_OPEN_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)) + ")"
_WAITING = f"status IN {_OPEN_SQL} AND NOT paused"

# A list's total is exact up to this many rows. Past it the answer says "more than 10,000"
# instead of counting every row: an exact count walks every matching index entry (18 ms for
# 52,751 overdue cases), so a list's time would grow with the open cases, not with its page.
# The dashboard's open cases by unit and status, the overdue metric and the reports stay exact.
TOTAL_CAP = 10_000


@dataclass(frozen=True)
class Total:
    """How many rows a list holds: `count` is exact when `exact`, else the cap was passed."""

    count: int
    exact: bool


async def _count_to_cap(conn: Conn, rows: str, *args: Any, cap: int) -> Total:
    """How many rows the query `rows` finds, counting no further than cap + 1."""
    # The limit is a literal, not a parameter: a generic plan would not see how few rows it needs.
    found = await conn.fetchval(
        f"SELECT count(*) FROM ({rows} LIMIT {int(cap) + 1}) AS found", *args
    )
    return Total(min(found, cap), found <= cap)


async def search_inquiries(
    conn: Conn,
    *,
    status: str | None,
    unit: str | None,
    category: str | None,
    channel: str | None,
    overdue: bool | None,
    received_from: datetime | None,
    received_to: datetime | None,
    limit: int,
    offset: int,
    cap: int = TOTAL_CAP,
) -> tuple[Total, list[asyncpg.Record]]:
    """One page of inquiries, newest first, with how many match (exact up to the cap).

    Only the filters given become conditions, so each combination gets a plan of its own that
    can use the indexes (an `$1 IS NULL OR …` clause cannot, once the plan is generic)."""
    conditions: list[str] = []
    args: list[Any] = []
    for column, op, value in (
        ("status", "=", status),
        ("unit_code", "=", unit),
        ("category", "=", category),
        ("channel", "=", channel),
        ("received_at", ">=", received_from),
        ("received_at", "<", received_to),
    ):
        if value is not None:
            args.append(value)
            conditions.append(f"{column} {op} ${len(args)}")
    if overdue is not None:
        late = f"(({_WAITING} AND reply_due_at < now()) OR overdue)"
        conditions.append(late if overdue else f"NOT {late}")
    where = " AND ".join(conditions) or "true"
    total = await _count_to_cap(conn, f"SELECT FROM inquiries WHERE {where}", *args, cap=cap)
    rows = await conn.fetch(
        f"SELECT * FROM inquiries WHERE {where} ORDER BY received_at DESC, id"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args,
        limit,
        offset,
    )
    return total, rows


_TASK_COLUMNS = """
    t.id AS task_id, t.kind, t.due_at, t.created_at, t.unit_code, i.id AS inquiry_id,
    i.tracking_code, i.category, i.channel, i.content, i.address, i.district,
    i.escalation_level, i.status, i.ack_due_at, i.acknowledged_at, i.paused, i.due_provisional
"""


async def open_tasks(
    conn: Conn, *, unit_code: str | None, limit: int | None = None, offset: int = 0
) -> list[asyncpg.Record]:
    """Open tasks, soonest due first: of one unit, or of every unit when unit_code is None; a
    page of them when limit is given (the order matches index tasks_open_unit_due/tasks_open_due)."""
    where = "t.status = 'open'" + (" AND t.unit_code = $3" if unit_code is not None else "")
    return await conn.fetch(
        f"""
        SELECT {_TASK_COLUMNS}
        FROM tasks t JOIN inquiries i ON i.id = t.inquiry_id
        WHERE {where}
        ORDER BY t.due_at NULLS LAST, t.id
        LIMIT $1 OFFSET $2
        """,
        limit,
        offset,
        *([unit_code] if unit_code is not None else []),
    )


async def count_open_tasks(conn: Conn, *, unit_code: str | None, cap: int = TOTAL_CAP) -> Total:
    """How many open tasks a unit (or every unit, when None) has, exact up to the cap."""
    if unit_code is None:
        return await _count_to_cap(conn, "SELECT FROM tasks WHERE status = 'open'", cap=cap)
    return await _count_to_cap(
        conn, "SELECT FROM tasks WHERE status = 'open' AND unit_code = $1", unit_code, cap=cap
    )


async def last_event_reason(conn: Conn, *, inquiry_id: UUID, kind: str) -> str | None:
    """The reason recorded with the latest event of this kind (e.g. the 补正 question)."""
    reason: str | None = await conn.fetchval(
        "SELECT detail->>'reason' FROM inquiry_events WHERE inquiry_id = $1 AND kind = $2"
        " ORDER BY occurred_at DESC, id DESC LIMIT 1",
        inquiry_id,
        kind,
    )
    return reason


async def overdue_inquiries(
    conn: Conn, *, unit: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Inquiries still waiting for their reply past its deadline, the most overdue first.

    A case paused for the citizen (补正) is not overdue: its clock is stopped. The order and the
    condition are those of the partial indexes inquiries_overdue(_unit) of migration 006."""
    unit_clause = "" if unit is None else "AND unit_code = $3"
    return await conn.fetch(
        f"""
        SELECT id, tracking_code, category, channel, unit_code, status, reply_due_at,
               escalation_level, extract(epoch FROM now() - reply_due_at)::bigint AS overdue_seconds
        FROM inquiries
        WHERE {_WAITING} AND reply_due_at < now() {unit_clause}
        ORDER BY reply_due_at, id
        LIMIT $1 OFFSET $2
        """,
        limit,
        offset,
        *([unit] if unit is not None else []),
    )


async def count_overdue(conn: Conn, *, unit: str | None, cap: int = TOTAL_CAP) -> Total:
    """How many inquiries the overdue list holds in all, exact up to the cap."""
    unit_clause = "" if unit is None else "AND unit_code = $1"
    return await _count_to_cap(
        conn,
        f"SELECT FROM inquiries WHERE {_WAITING} AND reply_due_at < now() {unit_clause}",
        *([unit] if unit is not None else []),
        cap=cap,
    )


async def overdue_by_unit(conn: Conn) -> list[asyncpg.Record]:
    """How many inquiries each unit has on the overdue list (the partial index inquiries_overdue
    _unit of migration 007 holds exactly these rows)."""
    return await conn.fetch(
        f"""
        SELECT coalesce(unit_code, '') AS unit_code, count(*) AS cases
        FROM inquiries WHERE {_WAITING} AND reply_due_at < now()
        GROUP BY 1 ORDER BY 1
        """
    )


async def tracking_code(conn: Conn, *, inquiry_id: str) -> str | None:
    """The citizen's tracking code of a case, for the texts that name it."""
    code: str | None = await conn.fetchval(
        "SELECT tracking_code FROM inquiries WHERE id = $1::uuid", inquiry_id
    )
    return code


async def citizen_contact(conn: Conn, *, inquiry_id: str) -> asyncpg.Record | None:
    """The citizen's phone and email (either may be missing), for a notice to the citizen."""
    return await conn.fetchrow(
        "SELECT citizen_phone, citizen_email FROM inquiries WHERE id = $1::uuid", inquiry_id
    )
