"""Reads of the supervisors' dashboard: the cases waiting for a decision, open cases by unit and
status, and the cases received per day."""

from __future__ import annotations

from datetime import date

import asyncpg

from domain.case import CaseStatus
from repository import Conn

# The statuses in which a case waits for the office or a supervisor to decide.
_DECIDING = sorted({CaseStatus.RETURNED, CaseStatus.AWAITING_DECISION, CaseStatus.IN_REVIEW})


async def waiting_for_decision(conn: Conn, *, limit: int) -> list[asyncpg.Record]:
    """Open cases waiting for a decision, the longest waiting first: returned (退单), awaiting a
    supervisor (after N returns or a second 不满意: `last_trigger` tells which), a draft in
    review, or an extension request not yet decided (`extension_pending`)."""
    return await conn.fetch(
        """
        WITH pending AS (
            SELECT e.inquiry_id, max(e.occurred_at) AS asked_at
            FROM inquiry_events e
            WHERE e.kind = 'extension_requested' AND NOT EXISTS (
                SELECT 1 FROM inquiry_events d
                WHERE d.inquiry_id = e.inquiry_id
                  AND d.kind IN ('extension_approved', 'extension_refused')
                  AND (d.occurred_at, d.id) > (e.occurred_at, e.id))
            GROUP BY e.inquiry_id
        )
        SELECT i.id, i.tracking_code, i.status, i.category, i.unit_code, i.content,
               i.reply_due_at, i.updated_at, p.asked_at AS extension_asked_at,
               p.inquiry_id IS NOT NULL AS extension_pending,
               (SELECT e.kind FROM inquiry_events e
                WHERE e.inquiry_id = i.id AND e.kind IN ('returned', 'rated_unsatisfied_again')
                ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS last_trigger,
               (SELECT coalesce(e.detail->>'reason', e.detail->>'draft') FROM inquiry_events e
                WHERE e.inquiry_id = i.id
                  AND e.kind IN ('returned', 'rated_unsatisfied_again', 'extension_requested',
                                 'submitted_for_review')
                ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS last_reason
        FROM inquiries i LEFT JOIN pending p ON p.inquiry_id = i.id
        WHERE i.closed_at IS NULL
          AND (i.status = ANY($1::text[]) OR p.inquiry_id IS NOT NULL)
        ORDER BY coalesce(p.asked_at, i.updated_at), i.id
        LIMIT $2
        """,
        _DECIDING,
        limit,
    )


async def open_by_unit_and_status(conn: Conn) -> list[asyncpg.Record]:
    """How many cases not yet closed each unit holds in each status."""
    return await conn.fetch(
        """
        SELECT coalesce(unit_code, '') AS unit_code, status, count(*) AS cases
        FROM inquiries WHERE closed_at IS NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        """
    )


async def received_per_day(conn: Conn, *, first: date, last: date) -> list[asyncpg.Record]:
    """Cases received on each China day from first to last (days without any are left out)."""
    return await conn.fetch(
        """
        SELECT (received_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS cases
        FROM inquiries
        WHERE received_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND received_at < (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
        GROUP BY 1 ORDER BY 1
        """,
        first,
        last,
    )
