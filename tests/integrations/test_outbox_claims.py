"""How the outbox dispatcher claims: one statement per claim, no look at the outbox that can find
nothing, and a backlog larger than its batch still delivered once per notice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from activities.dispatcher import DeliveryPolicy, OutboxDispatcher
from activities.transports import Transports
from activities.transports.log import LogTransport
from bench.outbox import Statements, queue_notice
from core.db import create_pool


@pytest.fixture
async def counted() -> Statements:
    return Statements()


@pytest.fixture
async def dispatcher_pool(database_url: str, counted: Statements) -> AsyncIterator[asyncpg.Pool]:
    """A pool of the dispatcher's own, whose statements the test counts."""
    pool = await create_pool(database_url, max_size=4, on_connect=counted.attach)
    yield pool
    await pool.close()


async def until_sent(pool: asyncpg.Pool, run: str, count: int) -> list[dict[str, Any]]:
    for _ in range(200):
        rows = await pool.fetch(
            "SELECT dedupe_key, status, attempts FROM notifications WHERE dedupe_key LIKE $1",
            f"{run}:%",
        )
        if sum(r["status"] == "sent" for r in rows) == count:
            return [dict(r) for r in rows]
        await asyncio.sleep(0.05)
    raise AssertionError(f"not all {count} notices of {run} were sent: {rows}")


def log_only() -> Transports:
    return Transports({}, LogTransport())


async def drained(pool: asyncpg.Pool) -> None:
    """Nothing due is left by earlier tests to be claimed among this test's notices."""
    dispatcher = OutboxDispatcher(pool, log_only(), DeliveryPolicy(attempt_timeout=2))
    while await dispatcher.dispatch_once():
        pass


async def test_notices_queued_one_at_a_time_cost_two_statements_each(
    pool: asyncpg.Pool, dispatcher_pool: asyncpg.Pool, counted: Statements
) -> None:
    await drained(pool)
    run, count = f"one-by-one-{uuid.uuid4().hex[:8]}", 30
    dispatcher = OutboxDispatcher(dispatcher_pool, log_only(), DeliveryPolicy(attempt_timeout=2))
    delivering = asyncio.create_task(dispatcher.run())
    async with pool.acquire() as conn:
        for i in range(count):
            await queue_notice(conn, f"{run}:{i}")
            dispatcher.wake()
            await until_sent(pool, run, i + 1)  # each delivered before the next comes
    await dispatcher.stop()
    await delivering

    claims = [q for q in counted.sent if "SKIP LOCKED" in q]
    marks = [q for q in counted.sent if "SET status = 'sent'" in q]
    assert len(marks) == count
    # One claim per notice, and no transaction around it: before, a claim was BEGIN, SELECT …
    # FOR UPDATE, an UPDATE per row and COMMIT, and two more looks found nothing (11 in all).
    assert len(claims) <= count + 2, f"{len(claims)} claims for {count} notices"
    assert not [q for q in counted.sent if q.split()[0].upper().rstrip(";") in ("BEGIN", "COMMIT")]
    assert len(counted.sent) <= 2 * count + 4, f"{len(counted.sent)} statements"


async def test_a_backlog_larger_than_the_batch_is_delivered_once_each(
    pool: asyncpg.Pool, dispatcher_pool: asyncpg.Pool
) -> None:
    await drained(pool)
    run, count = f"backlog-{uuid.uuid4().hex[:8]}", 47
    async with pool.acquire() as conn:
        for i in range(count):
            await queue_notice(conn, f"{run}:{i}")
    dispatcher = OutboxDispatcher(
        dispatcher_pool, log_only(), DeliveryPolicy(attempt_timeout=2, batch=5, poll=30)
    )
    delivering = asyncio.create_task(dispatcher.run())
    dispatcher.wake()
    # The poll is 30 s: only the ends of attempts can wake the dispatcher for the rest.
    rows = await until_sent(pool, run, count)
    await dispatcher.stop()
    await delivering
    assert {r["attempts"] for r in rows} == {1}
