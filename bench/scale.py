"""Open-case scale: fill the read model and Temporal with M open cases (most of them overdue),
then time the lists staff read, paged, and the memory the worker and the API hold."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from bench import procs
from bench.load import Run, run_many, summary
from bench.phases import Context, file_inquiry, settle, until_all_dispatched
from repository import benchmarks as probes
from repository import inquiries as reads
from repository.directory import insert_row

LATE = "bench_late"  # replies due 1.8 s after dispatch: overdue almost at once
OPEN = "bench_open"  # replies due in a day: open with a live timer
UNIT = "pipe_repair"
PAGE = 50
NO_CAP = 2**62  # a cap no count reaches: the totals exact, as before the cap
COUNTED = ("overdue_total", "staff_page", "unit_tasks_total")  # the reads that count a total
LIST_TABLES = ("inquiries", "tasks")  # what the three lists read


async def prepare(ctx: Context) -> None:
    """The two categories, both routed to one unit (its task list is the one timed)."""
    await ctx.stack.category(LATE, 0.0005)
    await ctx.stack.category(OPEN, 24)
    async with ctx.stack.pool.acquire() as conn:
        for code in (LATE, OPEN):
            rule = {"name": f"bench-{code}", "priority": 1, "category": code, "unit_code": UNIT}
            await insert_row(conn, "routing_rules", {**rule, "keywords": []}, if_missing=True)


async def open_count(ctx: Context) -> int:
    async with ctx.stack.pool.acquire() as conn:
        return await probes.open_cases(conn)


async def fill(ctx: Context, m: int, concurrency: int) -> dict[str, Any]:
    """File cases over HTTP until M are open (nine in ten of them overdue), then wait for the
    worker to dispatch them all."""
    filed: list[str] = []
    missing = max(0, m - await open_count(ctx))

    async def one(i: int, run: Run) -> None:
        filed.append((await file_inquiry(ctx, run, OPEN if i % 10 == 0 else LATE, i))["id"])

    run = await run_many(missing, concurrency, one)
    # An intake that failed under the load is filed once more, so that the step still holds M
    # open cases; its rate and latency are the first pass's.
    again = await run_many(run.failed, concurrency, one) if run.failed else None
    async with ctx.stack.pool.acquire() as conn:
        dispatched = await probes.count_past_intake(conn, ids=[UUID(i) for i in filed])
    started = time.perf_counter()
    await until_all_dispatched(ctx.stack, filed, within=max(600.0, missing / 2))
    return {
        "filed": run.done,
        "failed": run.failed,
        "errors": run.errors,
        "filed_again": again.done if again else 0,
        "failed_again": again.failed if again else 0,
        "intake_rate": run.rate,
        "intake_latency": summary(run.latencies.get("intake", [])),
        # Accepted by intake but not yet dispatched by the worker when the last intake answered.
        "backlog_at_end_of_intake": len(filed) - dispatched,
        "dispatch_tail_seconds": time.perf_counter() - started,
    }


async def time_lists(
    ctx: Context, staff: dict[str, dict[str, str]], repeats: int
) -> dict[str, Any]:
    """Median and max time (ms) of the first page of each list over HTTP, and its total (past
    the lists' cap, `total_exact` is false)."""
    lists = {
        "overdue": ("/api/v1/supervision/overdue", staff["supervisor"]),
        "staff_list": ("/api/v1/inquiries", staff["supervisor"]),
        "unit_tasks": ("/api/v1/tasks", staff["handler"]),
    }
    timed: dict[str, Any] = {}
    for name, (path, headers) in lists.items():
        times, total, exact = [], None, None
        for _ in range(repeats):
            started = time.perf_counter()
            answer = await ctx.http.get(path, params={"limit": PAGE}, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            page = answer.json()
            total, exact = page.get("total"), page.get("total_exact")
        timed[name] = {
            "median_ms": statistics.median(times),
            "max_ms": max(times),
            "total": total,
            "total_exact": exact,
        }
    return timed


async def _median_ms(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def read_levers(ctx: Context, repeats: int) -> dict[str, dict[str, float]]:
    """Each list's SQL with the indexes of migration 006 and without them (dropped in a
    transaction that is rolled back), the reads as they were before issue 10, and the totals
    counted exactly instead of up to the cap."""
    async with ctx.stack.pool.acquire() as conn:

        def queries(cap: int = reads.TOTAL_CAP) -> dict[str, Callable[[], Awaitable[Any]]]:
            return {
                "overdue_page": lambda: reads.overdue_inquiries(
                    conn, unit=None, limit=PAGE, offset=0
                ),
                "overdue_total": lambda: reads.count_overdue(conn, unit=None, cap=cap),
                "staff_page": lambda: reads.search_inquiries(
                    conn,
                    status=None,
                    unit=None,
                    category=None,
                    channel=None,
                    overdue=None,
                    received_from=None,
                    received_to=None,
                    limit=PAGE,
                    offset=0,
                    cap=cap,
                ),
                "unit_tasks_page": lambda: reads.open_tasks(
                    conn, unit_code=UNIT, limit=PAGE, offset=0
                ),
                "unit_tasks_total": lambda: reads.count_open_tasks(conn, unit_code=UNIT, cap=cap),
                "unit_tasks_unpaged": lambda: reads.open_tasks(conn, unit_code=UNIT),
            }

        figures: dict[str, dict[str, float]] = {}
        for name, call in queries().items():
            figures[name] = {"indexed_ms": await _median_ms(call, repeats)}
        # The totals counted to the last row, as they were before the lists' cap.
        exact = queries(cap=NO_CAP)
        for name in COUNTED:
            figures[name]["exact_ms"] = await _median_ms(exact[name], repeats)
        transaction = conn.transaction()
        await transaction.start()
        try:
            await probes.drop_read_indexes(conn)
            for name, call in queries().items():
                figures[name]["without_indexes_ms"] = await _median_ms(call, repeats)
            figures["overdue_page"]["before_issue_ms"] = await _median_ms(
                lambda: probes.overdue_page_before(conn, limit=PAGE), repeats
            )
            figures["staff_page"]["before_issue_ms"] = await _median_ms(
                lambda: probes.staff_page_before(conn, limit=PAGE), repeats
            )
        finally:
            await transaction.rollback()
    return figures


async def autovacuum_settled(ctx: Context) -> dict[str, Any]:
    """Wait until PostgreSQL's autovacuum has caught up with the lists' tables (nothing it would
    still take), so that "idle" is idle for the database too: a read model that grew over weeks
    has been vacuumed, one filled a minute ago by the benchmark not yet. How long that took, and
    what was still pending if the context's `autovacuum_wait` ran out."""
    within = ctx.autovacuum_wait
    started = time.perf_counter()
    while True:
        async with ctx.stack.pool.acquire() as conn:
            pending = await probes.autovacuum_pending(conn, tables=LIST_TABLES)
        waited = time.perf_counter() - started
        if not pending or waited >= within:
            return {"waited_seconds": waited, "pending": pending}
        await asyncio.sleep(1.0)


def memory(ctx: Context) -> dict[str, int]:
    """Resident memory (bytes) of the worker (all its processes), the API and the Temporal
    server."""
    rss = {
        name: sum(procs.rss_bytes(pid) for pid in ctx.stack.pids(name))
        for name in ("worker", "api")
    }
    rss["temporal"] = sum(procs.rss_bytes(pid) for pid in ctx.stack.temporal_pids())
    return rss


async def at_scale(
    ctx: Context, m: int, staff: dict[str, dict[str, str]], *, concurrency: int, repeats: int
) -> dict[str, Any]:
    """One step of the scale: fill to M, time the lists while the ladders fire and once idle."""
    filling = await fill(ctx, m, concurrency)
    busy = await time_lists(ctx, staff, repeats)
    settled_in = await settle(ctx.stack, within=600)
    vacuumed = await autovacuum_settled(ctx)
    idle = await time_lists(ctx, staff, repeats)
    return {
        "m": m,
        "open_cases": await open_count(ctx),
        "fill": filling,
        "lists_busy": busy,
        "lists_idle": idle,
        "settled_after_seconds": settled_in,
        "autovacuum": vacuumed,
        "read_levers": await read_levers(ctx, repeats),
        "rss_bytes": memory(ctx),
    }
