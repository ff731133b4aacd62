"""Legacy v1: the read-model writes only the first workflow version makes, and the two reads
its activities need. Shared writes (the inquiry row, events, ladder steps, the outbox) stay in
repository/inquiries.py. Delete with the other legacy_v1 modules (README.md).

Every write is idempotent: each only moves a row forward from the status it expects.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.legacy_v1 import ClockPlan, InquiryStatus
from repository import Conn


async def mark_dispatched(
    conn: Conn,
    *,
    inquiry_id: str,
    unit_code: str,
    rule_name: str | None,
    plan: ClockPlan,
) -> None:
    await conn.execute(
        """
        UPDATE inquiries
        SET status = $2, unit_code = $3, routing_rule = $4, dispatched_at = $5, remind_at = $6,
            reply_due_at = $7, level2_at = $8, due_provisional = $9, updated_at = now()
        WHERE id = $1 AND status = $10
        """,
        UUID(inquiry_id),
        InquiryStatus.DISPATCHED.value,
        unit_code,
        rule_name,
        plan.dispatched_at,
        plan.remind_at,
        plan.due_at,
        plan.level2_at,
        plan.provisional,
        InquiryStatus.RECEIVED.value,
    )
    await conn.execute(
        """
        INSERT INTO tasks (inquiry_id, unit_code, kind, task_key, due_at, created_at)
        VALUES ($1, $2, 'reply', $2 || ':reply', $3, $4)
        ON CONFLICT (inquiry_id, task_key) DO NOTHING
        """,
        UUID(inquiry_id),
        unit_code,
        plan.due_at,
        plan.dispatched_at,
    )


async def record_reply(
    conn: Conn,
    *,
    inquiry_id: str,
    content: str,
    replied_by: str,
    replied_at: datetime,
) -> None:
    await conn.execute(
        """
        UPDATE inquiries
        SET status = $2, reply_content = $3, replied_by = $4, replied_at = $5, updated_at = now()
        WHERE id = $1 AND status = $6
        """,
        UUID(inquiry_id),
        InquiryStatus.REPLIED.value,
        content,
        replied_by,
        replied_at,
        InquiryStatus.DISPATCHED.value,
    )
    await conn.execute(
        """
        UPDATE tasks SET status = 'done', completed_at = $2
        WHERE inquiry_id = $1 AND kind = 'reply' AND status = 'open'
        """,
        UUID(inquiry_id),
        replied_at,
    )


async def mark_closed(
    conn: Conn,
    *,
    inquiry_id: str,
    closed_at: datetime,
    on_time: bool,
    handling_seconds: int,
    total_seconds: int,
) -> None:
    await conn.execute(
        """
        UPDATE inquiries
        SET status = $2, closed_at = $3, on_time = $4, handling_seconds = $5,
            total_seconds = $6, overdue = NOT $4, updated_at = now()
        WHERE id = $1 AND status = $7
        """,
        UUID(inquiry_id),
        InquiryStatus.CLOSED.value,
        closed_at,
        on_time,
        handling_seconds,
        total_seconds,
        InquiryStatus.REPLIED.value,
    )


async def tracking_code(conn: Conn, *, inquiry_id: str) -> str | None:
    code: str | None = await conn.fetchval(
        "SELECT tracking_code FROM inquiries WHERE id = $1::uuid", inquiry_id
    )
    return code


async def citizen_contact(conn: Conn, *, inquiry_id: str) -> tuple[str | None, str | None] | None:
    """The citizen's (phone, email), or None when the inquiry is not recorded."""
    row = await conn.fetchrow(
        "SELECT citizen_phone, citizen_email FROM inquiries WHERE id = $1::uuid", inquiry_id
    )
    return None if row is None else (row["citizen_phone"], row["citizen_email"])
