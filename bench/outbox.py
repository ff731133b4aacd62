"""`python -m bench.outbox`: what the outbox dispatcher costs per notice.

Every transition of a case queues its notices in the transaction that records it and wakes the
worker's outbox dispatcher, which claims, sends and marks each one. This probe does the same with
no Temporal and no service processes: it queues `--notices` notices at `--rate` a second, each in
a transaction of its own and followed by a wake, as the activities queue them. It does this twice
in one database:
- `alone`: nobody delivers; the producer's own cost, the baseline;
- `dispatched`: an `OutboxDispatcher` with the log transport (as `make run` and `make bench`
  have it) delivers them, in this process, until every one is sent.
The figures are per notice, the dispatcher's being `dispatched` minus `alone`: this process's CPU,
the database backends' CPU, and the statements sent (BEGIN and COMMIT counted), with the time
from queueing to sent. docs/levers/outbox.md has the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from activities.dispatcher import DeliveryPolicy, OutboxDispatcher
from activities.transports import Transports
from activities.transports.log import LogTransport
from bench import procs, stack
from core.logging import configure_logging
from repository import benchmarks as probes
from repository import inquiries as writes

POLL = 0.5  # seconds between looks at how far a phase has come


class Statements:
    """What a pool's connections send, in order (asyncpg's query logger sees every statement,
    BEGIN and COMMIT included): attach it as the pool's on_connect."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda record: self.sent.append(record.query))


async def queue_notice(conn: asyncpg.Connection, key: str) -> None:
    """One notice to a unit in a transaction of its own, as a transition queues it."""
    async with conn.transaction():
        await writes.insert_notification(
            conn,
            inquiry_id=None,
            dedupe_key=key,
            kind="dispatched",
            audience="unit",
            channel="internal",
            recipient="pipe_repair",
            recipient_masked="pipe_repair",
            body=f"notice {key} of the probe",
            created_at=datetime.now(UTC),
        )


async def _backend_cpu(pool: asyncpg.Pool) -> dict[int, float]:
    """CPU seconds so far of every backend serving the probe's database."""
    async with pool.acquire() as conn:
        database = await conn.fetchval("SELECT current_database()")
        return procs.cpu_of(await probes.backend_pids(conn, database=database))


async def _queue(pool: asyncpg.Pool, phase: str, notices: int, rate: float, wake: Any) -> None:
    """Queue the notices evenly at the rate, each followed by a wake."""
    began = time.monotonic()
    async with pool.acquire() as conn:
        for i in range(notices):
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
            await queue_notice(conn, f"{phase}:{i}")
            wake()


async def _phase(
    pool: asyncpg.Pool, counter: Statements, phase: str, notices: int, rate: float
) -> dict[str, Any]:
    dispatcher = OutboxDispatcher(pool, Transports({}, LogTransport()), DeliveryPolicy())
    delivering = asyncio.create_task(dispatcher.run()) if phase == "dispatched" else None
    wanted = "sent" if delivering else "queued"
    cpu, backends, sent = time.process_time(), await _backend_cpu(pool), len(counter.sent)
    began = time.monotonic()
    await _queue(pool, phase, notices, rate, dispatcher.wake)
    while True:
        async with pool.acquire() as conn:
            done = await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE dedupe_key LIKE $1 AND status = $2",
                f"{phase}:%",
                wanted,
            )
        if done >= notices:
            break
        await asyncio.sleep(POLL)
    seconds = time.monotonic() - began
    cpu, backends, sent = (
        time.process_time() - cpu,
        procs.cpu_spent(backends, await _backend_cpu(pool)),
        len(counter.sent) - sent,
    )
    if delivering:
        await dispatcher.stop()
        await delivering
    async with pool.acquire() as conn:
        waits = [
            float(w)
            for w in await conn.fetchval(
                "SELECT array_agg(extract(epoch FROM sent_at - queued_at) * 1000)"
                " FROM notifications WHERE dedupe_key LIKE $1 AND sent_at IS NOT NULL",
                f"{phase}:%",
            )
            or []
        ]
        if not delivering:  # out of the way of the phase after it
            await conn.execute(
                "UPDATE notifications SET status = 'sent', sent_at = now()"
                " WHERE dedupe_key LIKE $1",
                f"{phase}:%",
            )
    return {
        "seconds": seconds,
        "process_cpu_ms": cpu * 1000 / notices,
        "backend_cpu_ms": backends * 1000 / notices,
        "statements": sent / notices,
        "queued_to_sent_ms": {
            "p50": statistics.median(waits),
            "p95": statistics.quantiles(waits, n=20, method="inclusive")[18],
            "max": max(waits),
        }
        if len(waits) > 1
        else None,
    }


async def measure(*, notices: int, rate: float, database_url: str | None) -> dict[str, Any]:
    counter = Statements()
    async with stack.scratch_database(
        database_url, prefix="outbox", on_connect=counter.attach
    ) as pool:
        alone = await _phase(pool, counter, "alone", notices, rate)
        dispatched = await _phase(pool, counter, "dispatched", notices, rate)
    return {
        "notices": notices,
        "rate": rate,
        "alone": alone,
        "dispatched": dispatched,
        "dispatcher_per_notice": {
            key: dispatched[key] - alone[key]
            for key in ("process_cpu_ms", "backend_cpu_ms", "statements")
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__)
    parser.add_argument("--notices", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=60.0, help="notices queued a second")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server's admin URL (as for `make bench`), else embedded",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    configure_logging()  # the log transport's lines go to stderr: stdout is the JSON
    measured = asyncio.run(
        measure(notices=args.notices, rate=args.rate, database_url=args.database_url)
    )
    text = json.dumps(measured, indent=2)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
