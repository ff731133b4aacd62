"""Activities of the scheduled work: plan a digest against the operator calendar (it lives in
PostgreSQL, so the decision is an activity's), and queue the digests and summaries in the outbox,
once per recipient and day (or month), for the dispatcher to deliver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.faults import classified
from domain import reports as fig
from domain.digest import (
    DigestBatch,
    DigestPlan,
    DigestPlanInput,
    SummaryBatch,
    SummaryResult,
    due_soon_until,
    plan_digest,
    summary_lines,
    summary_month,
)
from domain.notices import Audience, Outgoing, daily_digest, monthly_summary
from domain.privacy import mask_contact
from repository import Conn
from repository import calendar as calendar_repo
from repository import digests as repo
from repository import inquiries as inquiry_repo
from repository import reports as report_repo


def _nothing() -> None:
    return None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApplicationError(f"not a day (YYYY-MM-DD): {text!r}", non_retryable=True) from None


class ScheduledActivities:
    """Built once in worker.py with the pool and the dispatcher's wake-up."""

    def __init__(self, pool: asyncpg.Pool, wake: Callable[[], None] = _nothing) -> None:
        self._pool = pool
        self._wake = wake

    @activity.defn
    @classified
    async def plan_digest(self, request: DigestPlanInput) -> DigestPlan:
        """Whether the day is a working day by the operator calendar, and when in it to send."""
        day = _day(request.day) if request.day is not None else None
        async with self._pool.acquire() as conn:
            extra = await calendar_repo.overrides(conn)
        return plan_digest(request.started, day, extra)

    @activity.defn
    @classified
    async def queue_digests(self, batch: DigestBatch) -> int:
        """One digest per unit head and day (key digest:{day}:{unit}:{head}), by email when the
        head has an address, else on the internal channel (the log); returns how many are new."""
        async with self._pool.acquire() as conn, conn.transaction():
            extra = await calendar_repo.overrides(conn)
            loads = await repo.unit_loads(
                conn, at=batch.at, due_soon_until=due_soon_until(batch.at, extra)
            )
            queued = 0
            for head in await repo.unit_heads(conn):
                load = loads.get(head["unit_code"])
                text = daily_digest(
                    batch.day,
                    head["unit_name"],
                    load.open if load else 0,
                    load.due_soon if load else 0,
                    load.overdue if load else 0,
                )
                queued += await self._queue(
                    conn,
                    key=f"digest:{batch.day}:{head['unit_code']}:{head['username']}",
                    kind="daily_digest",
                    audience=Audience.UNIT_HEAD,
                    user=head,
                    text=text,
                    at=batch.at,
                )
        if queued:
            self._wake()
        return queued

    @activity.defn
    @classified
    async def queue_summaries(self, batch: SummaryBatch) -> SummaryResult:
        """The month's figures (the reports' own maths) to every supervisor, once per month and
        supervisor (key summary:{month}:{username}); says how many are new."""
        try:
            first, last = summary_month(batch.at, batch.month)
        except ValueError:
            raise ApplicationError(
                f"not a month (YYYY-MM): {batch.month!r}", non_retryable=True
            ) from None
        start, cut_off = fig.period_bounds(first, last)
        month = f"{first:%Y-%m}"
        async with self._pool.acquire() as conn, conn.transaction():
            cases = await report_repo.cohort_facts(conn, start=start, cut_off=cut_off, now=batch.at)
            text = monthly_summary(month, summary_lines(fig.figures(cases)))
            queued = 0
            for supervisor in await repo.supervisors(conn):
                queued += await self._queue(
                    conn,
                    key=f"summary:{month}:{supervisor['username']}",
                    kind="monthly_summary",
                    audience=Audience.SUPERVISORS,
                    user=supervisor,
                    text=text,
                    at=batch.at,
                )
        if queued:
            self._wake()
        return SummaryResult(month=month, queued=queued)

    async def _queue(
        self,
        conn: Conn,
        *,
        key: str,
        kind: str,
        audience: Audience,
        user: asyncpg.Record,
        text: Outgoing,
        at: datetime,
    ) -> int:
        channel, recipient = (
            ("email", user["email"]) if user["email"] else ("internal", user["username"])
        )
        inserted = await inquiry_repo.insert_notification(
            conn,
            inquiry_id=None,  # a digest or summary belongs to no case
            dedupe_key=key,
            kind=kind,
            audience=audience.value,
            channel=channel,
            recipient=recipient,
            recipient_masked=mask_contact(recipient) or "",
            subject=text.subject,
            body=text.body,
            created_at=at,
        )
        return int(inserted)
