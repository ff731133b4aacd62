"""The outbox as the dispatcher works it: claim due notices, record each attempt's outcome, give
up and open the office's task. Every update names the attempt it ends, so a late answer from a
dispatcher whose lease ran out changes nothing."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from repository import Conn

# A notice is due: not yet sent or given up, its (next) attempt's time come, not held for quiet
# hours, and no dispatcher's lease on it.
_DUE = """status IN ('queued', 'failed') AND next_attempt_at <= now()
    AND (not_before IS NULL OR not_before <= now())
    AND (claimed_until IS NULL OR claimed_until < now())"""
# What quiet hours hold: SMS to citizens of cases that are not urgent.
_QUIET = "channel = 'sms' AND audience = 'citizen' AND NOT urgent"


async def claim_due(
    conn: Conn, *, limit: int, lease_seconds: float, quiet: bool = False
) -> list[asyncpg.Record]:
    """Claim up to `limit` due notices for one attempt each, in one statement: the rows no other
    dispatcher holds (SKIP LOCKED: dispatchers in several workers never wait on each other nor
    share a row), each leased for longer than its attempt's timeout, with `attempts` counting
    this one. A dispatcher killed mid-send leaves the lease to run out, and the next claim sends
    again with the same idempotency key. Oldest due first. While `quiet` (quiet hours), no SMS to
    a citizen of a case that is not urgent: hold_quiet holds those."""
    return await conn.fetch(
        f"""
        WITH due AS (
            SELECT id FROM notifications
            WHERE {_DUE}
              AND NOT ($3 AND {_QUIET})
            ORDER BY next_attempt_at, id
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE notifications n
        SET attempts = n.attempts + 1, last_attempt_at = now(),
            claimed_until = now() + make_interval(secs => $2)
        FROM due
        WHERE n.id = due.id
        RETURNING n.*,
            (SELECT w.secret FROM webhooks w WHERE w.id = n.webhook_id) AS webhook_secret
        """,
        limit,
        lease_seconds,
        quiet,
    )


async def hold_quiet(conn: Conn, *, until: datetime) -> list[str]:
    """Quiet hours: the due SMS to citizens of cases that are not urgent wait until `until`, no
    attempt counted; their dedupe keys. Rows another dispatcher holds are skipped (it has them
    leased already, or holds them at its own look)."""
    rows = await conn.fetch(
        f"""
        UPDATE notifications SET not_before = $1
        WHERE id IN (
            SELECT id FROM notifications
            WHERE {_DUE}
              AND {_QUIET}
            FOR UPDATE SKIP LOCKED
        )
        RETURNING dedupe_key
        """,
        until,
    )
    return [r["dedupe_key"] for r in rows]


async def mark_sent(
    conn: Conn, *, notification_id: int, attempt: int, provider_id: str | None
) -> bool:
    """The transport accepted the notice; False when this attempt no longer holds it."""
    done = await conn.fetchval(
        """
        UPDATE notifications
        SET status = 'sent', sent_at = now(), provider_id = $3, claimed_until = NULL,
            last_error = NULL
        WHERE id = $1 AND attempts = $2 AND status IN ('queued', 'failed')
        RETURNING id
        """,
        notification_id,
        attempt,
        provider_id,
    )
    return done is not None


async def mark_failed(
    conn: Conn, *, notification_id: int, attempt: int, error: str, retry_at: datetime
) -> None:
    await conn.execute(
        """
        UPDATE notifications
        SET status = 'failed', last_error = $3, next_attempt_at = $4, claimed_until = NULL
        WHERE id = $1 AND attempts = $2 AND status IN ('queued', 'failed')
        """,
        notification_id,
        attempt,
        error[:500],
        retry_at,
    )


async def give_up(conn: Conn, *, notification_id: int, attempt: int, error: str) -> bool:
    """No more attempts; False when this attempt no longer holds the notice."""
    done = await conn.fetchval(
        """
        UPDATE notifications
        SET status = 'gave_up', gave_up_at = now(), last_error = $3, claimed_until = NULL
        WHERE id = $1 AND attempts = $2 AND status IN ('queued', 'failed')
        RETURNING id
        """,
        notification_id,
        attempt,
        error[:500],
    )
    return done is not None


async def open_reach_task(
    conn: Conn, *, inquiry_id: UUID, notification_id: int, unit_code: str
) -> None:
    """The office's task to reach the citizen another way (a call, a letter), once per notice."""
    await conn.execute(
        """
        INSERT INTO tasks (inquiry_id, unit_code, kind, task_key, due_at, created_at)
        VALUES ($1, $2, 'reach_citizen', $3, NULL, now())
        ON CONFLICT (inquiry_id, task_key) DO NOTHING
        """,
        inquiry_id,
        unit_code,
        f"reach:{notification_id}",
    )


async def record_gave_up(
    conn: Conn, *, inquiry_id: UUID, notification_id: int, kind: str, channel: str
) -> None:
    """The give-up in the case's timeline, once."""
    await conn.execute(
        """
        INSERT INTO inquiry_events (inquiry_id, event_key, kind, actor, occurred_at, detail)
        VALUES ($1, $2, 'notice_gave_up', 'system', now(),
                jsonb_build_object('notice', $3::text, 'channel', $4::text))
        ON CONFLICT (inquiry_id, event_key) DO NOTHING
        """,
        inquiry_id,
        f"gave_up:{notification_id}",
        kind,
        channel,
    )


async def citizen_contact(conn: Conn, *, inquiry_id: str) -> asyncpg.Record | None:
    """What a citizen notice needs: phone, email, tracking code, and whether the case is urgent
    (an urgent category or priority; its SMS ignores quiet hours)."""
    return await conn.fetchrow(
        """
        SELECT i.citizen_phone, i.citizen_email, i.tracking_code,
               (i.priority = 'urgent' OR coalesce(c.urgent, false)) AS urgent
        FROM inquiries i LEFT JOIN categories c ON c.code = i.category
        WHERE i.id = $1::uuid
        """,
        inquiry_id,
    )


async def unit_head_email(conn: Conn, *, unit_code: str) -> str | None:
    """The address of the unit's head for staff notices: the first active head (by username)
    who has one; None keeps the notice on the internal channel."""
    email: str | None = await conn.fetchval(
        """
        SELECT email FROM users
        WHERE role = 'unit_head' AND unit_code = $1 AND active AND email IS NOT NULL
        ORDER BY username LIMIT 1
        """,
        unit_code,
    )
    return email
