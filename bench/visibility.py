"""`python -m bench.visibility`: what a stale visibility map costs the lists' totals.

The overdue total and a unit's open-task total count index entries (an index-only scan), which
reads the table for every entry on a page the visibility map does not mark all-visible. Every
write clears its page's mark until VACUUM sets it again, and autovacuum comes once enough of the
table has changed: a fifth by PostgreSQL's defaults, a hundredth for the two tables migration 011
tunes. This fills one database with open cases (read-model rows, no workflow behind them), then
for `--seconds` writes `--writes` rows a second at random, as transitions and ladder steps do,
while it reads the total twice a second, with migration 011's settings (`early`) or with
PostgreSQL's own (`defaults`). The figure is the total's time; compare the two in one sitting.
docs/levers/vacuum.md has the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from bench import stack
from core.logging import configure_logging
from repository import benchmarks as probes
from repository import inquiries as reads

CATEGORY = "outage"  # a demo category; the rows only need one
UNITS = ["pipe_repair", "pump_station", "water_quality", "business_window", "open_affairs"]
COUNTED_UNIT = UNITS[0]  # the unit whose open tasks are counted
READS_PER_SECOND = 2


def _writer(
    table: str, cases: list[asyncpg.Record], rng: random.Random
) -> Callable[[asyncpg.Connection, int], Awaitable[None]]:
    """One write of the kind the table gets: a case's row updated (a ladder step's), or one of
    its tasks done and another opened (a transition's)."""

    async def write(conn: asyncpg.Connection, serial: int) -> None:
        case = rng.choice(cases)
        if table == "inquiries":
            await reads.raise_escalation(conn, inquiry_id=str(case["id"]), level=1, overdue=True)
        else:
            await probes.replace_open_task(
                conn, inquiry_id=case["id"], unit_code=case["unit_code"], key=f"reply:{serial}"
            )

    return write


def _total(table: str) -> Callable[[asyncpg.Connection], Awaitable[reads.Total]]:
    if table == "inquiries":
        return lambda conn: reads.count_overdue(conn, unit=None)
    return lambda conn: reads.count_open_tasks(conn, unit_code=COUNTED_UNIT)


async def measure(
    *,
    table: str,
    cases: int,
    overdue: float,
    writes: int,
    seconds: float,
    autovacuum: str,
    database_url: str | None = None,
) -> dict[str, Any]:
    async with stack.scratch_database(database_url, prefix="visibility") as pool:
        async with pool.acquire() as conn:
            await probes.fill_dispatched_cases(
                conn, n=cases, overdue=int(cases * overdue), units=UNITS, category=CATEGORY
            )
            if autovacuum == "defaults":
                await probes.autovacuum_defaults(conn, table=table)
            settings = await probes.autovacuum_settings(conn)
            rows = await probes.open_cases_by_unit(conn)
        write = _writer(table, rows, random.Random(7))  # noqa: S311 - which rows, not secrets
        total = _total(table)
        ends = time.monotonic() + seconds
        times: list[float] = []
        counted: list[int] = []
        written = 0

        async def keep_writing() -> None:
            nonlocal written
            tick = 0.1
            async with pool.acquire() as conn:
                while time.monotonic() < ends:
                    started = time.monotonic()
                    for _ in range(max(1, round(writes * tick))):
                        written += 1
                        await write(conn, written)
                    await asyncio.sleep(max(0.0, tick - (time.monotonic() - started)))

        async def keep_reading() -> None:
            async with pool.acquire() as conn:
                while time.monotonic() < ends:
                    started = time.perf_counter()
                    found = await total(conn)
                    times.append((time.perf_counter() - started) * 1000)
                    counted.append(found.count)
                    await asyncio.sleep(1 / READS_PER_SECOND)

        await asyncio.gather(keep_writing(), keep_reading())
        async with pool.acquire() as conn:
            state = await probes.vacuum_state(conn, table=table)
    fifth = max(1, len(times) // 5)
    return {
        "table": table,
        "autovacuum": autovacuum,
        "cases": cases,
        "overdue_share": overdue,
        "writes_per_second": written / seconds,
        "seconds": seconds,
        "server": settings,
        "total_counted": counted[-1],
        "reads": len(times),
        "total_ms": {
            "median": statistics.median(times),
            "p95": statistics.quantiles(times, n=20, method="inclusive")[18]
            if len(times) > 1
            else times[0],
            "max": max(times),
            "median_first_fifth": statistics.median(times[:fifth]),
            "median_last_fifth": statistics.median(times[-fifth:]),
        },
        "table_at_end": state,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.visibility", description=__doc__)
    parser.add_argument("--table", choices=probes.EARLY_VACUUM_TABLES, default="inquiries")
    parser.add_argument("--cases", type=int, default=100_000, help="open cases")
    parser.add_argument("--overdue", type=float, default=0.52, help="share of them overdue")
    parser.add_argument("--writes", type=int, default=70, help="rows written a second")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--autovacuum", choices=("early", "defaults"), default="early")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server's admin URL (as for `make bench`), else embedded",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    configure_logging()  # the migrations' lines to stderr: stdout is the JSON
    measured = asyncio.run(
        measure(
            table=args.table,
            cases=args.cases,
            overdue=args.overdue,
            writes=args.writes,
            seconds=args.seconds,
            autovacuum=args.autovacuum,
            database_url=args.database_url,
        )
    )
    text = json.dumps(measured, indent=2, default=str)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
