"""The outbox dispatcher: delivers queued notices apart from the case, each with a timeout per
attempt, retries with backoff, and gives up into an office task.

Exactly once per notice: a notice is claimed (SELECT … FOR UPDATE SKIP LOCKED, then a lease) by
one dispatcher, sent with its outbox key as idempotency key, and marked by the attempt that
claimed it. A dispatcher killed between send and mark leaves the lease to run out; the next
claim sends the same key again, and the SMS gateway and webhook receivers drop the repeat (an
email carries the same Message-ID). A marked notice is never claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import asyncpg
import structlog

from activities.transports import DeliveryError, Message, Transports
from domain.case import OFFICE_UNIT
from domain.notices import quiet_until
from repository import notifications as repo

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class QuietHours:
    """No citizen SMS between start and end, China time, unless the case is urgent."""

    start: time
    end: time


@dataclass(frozen=True)
class DeliveryPolicy:
    attempt_timeout: float = 10.0
    max_attempts: int = 8
    give_up_after: timedelta = timedelta(hours=24)
    backoff: float = 5.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 900.0
    poll: float = 1.0  # seconds between looks at the outbox when nobody wakes the dispatcher
    batch: int = 20
    quiet: QuietHours | None = None
    # A claim outlives its attempt's timeout by this much; then a killed dispatcher's notice is
    # claimed again.
    lease_margin: float = 30.0

    def retry_delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.backoff * 2 ** (attempt - 1), self.backoff_max))


class OutboxDispatcher:
    """One per worker process; several processes share the outbox safely."""

    def __init__(
        self, pool: asyncpg.Pool, transports: Transports, policy: DeliveryPolicy | None = None
    ) -> None:
        self._pool = pool
        self._transports = transports
        self.policy = policy or DeliveryPolicy()
        self._woken = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._saturated = False

    def wake(self) -> None:
        """Look at the outbox now (called after a transaction queued notices)."""
        self._woken.set()

    async def run(self) -> None:
        """Deliver until stopped: claim what is due while fewer than `batch` attempts are in
        flight, so one slow gateway holds up no other notice. An outage of PostgreSQL is
        waited out."""
        self._stopping = False
        while not self._stopping:
            free = self.policy.batch - len(self._inflight)
            try:
                claimed = await self._claim(free) if free > 0 else []
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox_unavailable", error=str(exc))
                claimed = []
            except Exception:  # the dispatcher must outlive any one bad look at the outbox
                log.exception("outbox_claim_failed")
                claimed = []
            # Took as many as it could: the outbox may hold more, to be claimed as attempts end.
            # Else it looks again when woken, or after `poll` for retries and quiet hours' end.
            self._saturated = free <= 0 or len(claimed) == free
            for row, attempt in claimed:
                task = asyncio.create_task(self._attempt(row, attempt))
                self._inflight.add(task)
                task.add_done_callback(self._done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self.policy.poll)
            self._woken.clear()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if self._saturated:
            self._woken.set()  # a free slot for what the last claim had to leave
        if not task.cancelled() and task.exception() is not None:
            # Sent but not marked (PostgreSQL went away): the lease runs out, the same key
            # goes again, the receiver drops the repeat.
            log.warning("notice_not_marked", error=str(task.exception()))

    async def stop(self) -> None:
        """Claim nothing more and let the attempts in flight end (each within its timeout)."""
        self._stopping = True
        self._woken.set()
        if self._inflight:
            await asyncio.wait(set(self._inflight))

    async def dispatch_once(self) -> int:
        """Claim what is due and attempt each once, to the end; returns how many."""
        claimed = await self._claim(self.policy.batch)
        await asyncio.gather(*(self._attempt(row, n) for row, n in claimed))
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[asyncpg.Record, int]]:
        """Hold what quiet hours forbid, and lease up to `limit` due notices to attempts: one
        statement each, the hold only while quiet hours last."""
        lease = self.policy.attempt_timeout + self.policy.lease_margin
        quiet = self.policy.quiet
        held = None if quiet is None else quiet_until(datetime.now(UTC), quiet.start, quiet.end)
        async with self._pool.acquire() as conn:
            if held is not None:
                for key in await repo.hold_quiet(conn, until=held):
                    log.info("notice_held", notice=key, until=held.isoformat())
            rows = await repo.claim_due(
                conn, limit=limit, lease_seconds=lease, quiet=held is not None
            )
        rows.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
        return [(row, row["attempts"]) for row in rows]

    async def _attempt(self, row: asyncpg.Record, attempt: int) -> None:
        message = Message(
            id=row["dedupe_key"],
            channel=row["channel"],
            recipient=row["recipient"],
            subject=row["subject"],
            body=row["body"],
            kind=row["kind"],
            secret=row["webhook_secret"],
        )
        transport = self._transports.for_channel(message.channel)
        try:
            provider_id = await asyncio.wait_for(
                transport.send(message), self.policy.attempt_timeout
            )
        except TimeoutError:
            await self._failed(row, attempt, DeliveryError("timed out"))
        except DeliveryError as exc:
            await self._failed(row, attempt, exc)
        except Exception as exc:  # a transport's bug counts as a failed attempt, not a crash
            await self._failed(row, attempt, DeliveryError(f"{type(exc).__name__}: {exc}"))
        else:
            async with self._pool.acquire() as conn:
                await repo.mark_sent(
                    conn, notification_id=row["id"], attempt=attempt, provider_id=provider_id
                )
            log.info("notice_delivered", notice=message.id, channel=message.channel)

    async def _failed(self, row: asyncpg.Record, attempt: int, error: DeliveryError) -> None:
        policy = self.policy
        queued_at: datetime = row["queued_at"]
        too_old = datetime.now(UTC) - queued_at >= policy.give_up_after
        final = error.permanent or attempt >= policy.max_attempts or too_old
        log.warning(
            "notice_attempt_failed",
            notice=row["dedupe_key"],
            channel=row["channel"],
            attempt=attempt,
            error=str(error),
            final=final,
        )
        async with self._pool.acquire() as conn, conn.transaction():
            if not final:
                await repo.mark_failed(
                    conn,
                    notification_id=row["id"],
                    attempt=attempt,
                    error=str(error),
                    retry_at=datetime.now(UTC) + policy.retry_delay(attempt),
                )
                return
            if not await repo.give_up(
                conn, notification_id=row["id"], attempt=attempt, error=str(error)
            ):
                return
            if row["audience"] == "citizen":
                # "Every citizen gets an answer": the office reaches them another way.
                await repo.open_reach_task(
                    conn,
                    inquiry_id=row["inquiry_id"],
                    notification_id=row["id"],
                    unit_code=OFFICE_UNIT,
                )
            if row["audience"] != "integration" and row["inquiry_id"] is not None:
                # A digest or summary belongs to no case: no timeline to write to.
                await repo.record_gave_up(
                    conn,
                    inquiry_id=row["inquiry_id"],
                    notification_id=row["id"],
                    kind=row["kind"],
                    channel=row["channel"],
                )
