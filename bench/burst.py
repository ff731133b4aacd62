"""A burst of simultaneous breaches: N cases filed overnight, all falling due at one instant.

The cases' category counts its acknowledgement (签收) clock in working hours (a category's reply
clock may only be natural hours or working days, migration 001), with office hours that open a
few minutes after the run starts (`--burst-lead`), on a day the calendar marks as a working one
(and every day from now until then as not). Filed while the office is closed, every clock starts
at the opening, so every case is due at "opening + budget": the night's inquiries all breaching
their 签收 deadline together in the morning. That breach (`ack_breach`, level 1: to the unit
head) is the one ladder step due by then: the reply clock runs a day, its warnings are off, and
the case goes back to the office (`ack_return`) only after the grace of four office hours.

Measured: each step's lateness as the workflow fired it (`occurred_at` against `scheduled_for`
on the case's timeline) and as the driver first saw it in PostgreSQL (polled each second); the
workflow tasks that timed out or failed in every burst case's history (read from the server
after the burst, so none can be missed); the dispatch latency of new inquiries filed during the
burst; and the CPU each process spent from just before the breach until the last step fired.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from uuid import UUID

from temporalio.api.enums.v1 import EventType, TimeoutType

from bench import server_metrics, worker_cache
from bench.load import Run, Timed, run_many, summary
from bench.phases import (
    LIFECYCLE_CATEGORY,
    Context,
    cpu_delta,
    cpu_snapshot,
    file_inquiry,
    inquiry_body,
    settle,
    until_dispatched,
)
from bench.scale import memory
from domain.calendar import CHINA_TZ
from domain.ids import case_workflow_id
from repository import benchmarks as probes
from repository import calendar as calendar_repo
from repository.directory import insert_row

CATEGORY = "bench_burst"
UNIT = "pipe_repair"
BUDGET = timedelta(seconds=30)  # from the opening to the breach
STEP = "step_ack_breach"
LATE = 60.0  # seconds: the bound on a step's lateness
ASSUMED_DISPATCH_RATE = 12.0  # cases/s filed and dispatched (measured 17–20 alone; 11 at scale)
WORKER_SETTINGS = (
    "WORKER_MAX_CACHED_WORKFLOWS",
    "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS",
    "WORKER_MAX_CONCURRENT_ACTIVITIES",
    "WORKER_WORKFLOW_TASK_POLLERS",
    "WORKER_ACTIVITY_TASK_POLLERS",
    "WORKER_STICKY_SCHEDULE_TO_START_SECONDS",
    "WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES",
    "DATABASE_POOL_SIZE",
)


def default_lead(n: int) -> float:
    """Seconds from the start of filing to the opening: enough to file and dispatch N."""
    return 60.0 + n / ASSUMED_DISPATCH_RATE


# Office hours may not run past midnight: the office closes an hour after the opening, or at
# LAST_CLOSING when that comes first, and a later opening waits for the next day's FIRST_OPENING.
LAST_OPENING = clock_time(23, 55)
LAST_CLOSING = clock_time(23, 59)
FIRST_OPENING = clock_time(0, 5)


def opening_after(now: datetime, lead: float) -> datetime:
    """The office's opening: `lead` seconds on, on a whole minute of China time (office hours
    are kept to the minute), no later than LAST_OPENING that day."""
    local = (now + timedelta(seconds=lead)).astimezone(CHINA_TZ)
    local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if local.time() > LAST_OPENING:
        local = datetime.combine(local.date() + timedelta(days=1), FIRST_OPENING, CHINA_TZ)
    return local.astimezone(UTC)


def closing_for(opening: datetime) -> clock_time:
    """The office's closing (China time): an hour after the opening, but the same day."""
    local = opening.astimezone(CHINA_TZ)
    later = local + timedelta(hours=1)
    return later.time() if later.date() == local.date() else LAST_CLOSING


def calendar_until(now: datetime, opening: datetime) -> dict[date, bool]:
    """Every China date from now to the opening's: closed, but the opening's day, open."""
    day, last = now.astimezone(CHINA_TZ).date(), opening.astimezone(CHINA_TZ).date()
    days: dict[date, bool] = {}
    while day < last:
        days[day] = False
        day += timedelta(days=1)
    days[last] = True
    return days


async def prepare(ctx: Context, now: datetime, opening: datetime) -> None:
    """The category, its routing to one unit, and the calendar days around the opening."""
    local = opening.astimezone(CHINA_TZ)
    await ctx.stack.category(
        CATEGORY,
        24,
        ack_unit="working_hours",
        ack_within=BUDGET / timedelta(hours=1),
        warnings=[],
        office_start=local.time(),
        office_end=closing_for(opening),
    )
    async with ctx.stack.pool.acquire() as conn:
        rule = {"name": f"bench-{CATEGORY}", "priority": 1, "category": CATEGORY}
        await insert_row(
            conn, "routing_rules", {**rule, "unit_code": UNIT, "keywords": []}, if_missing=True
        )
        days = calendar_until(now, opening)
        await calendar_repo.set_days(
            conn,
            days={d: (working, "bench: the burst's opening") for d, working in days.items()},
            updated_by="bench",
        )


async def file(ctx: Context, n: int, concurrency: int) -> tuple[Run, list[str]]:
    filed: list[str] = []

    async def one(i: int, run: Run) -> None:
        filed.append((await file_inquiry(ctx, run, CATEGORY, i))["id"])

    return await run_many(n, concurrency, one), filed


async def _sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def wait_dispatched(ctx: Context, ids: list[UUID], until: datetime) -> int:
    """Wait until every case is dispatched or `until`; how many were by then."""
    while True:
        async with ctx.stack.pool.acquire() as conn:
            done = await probes.count_past_intake(conn, ids=ids)
        if done >= len(ids) or datetime.now(UTC) >= until:
            return done
        await asyncio.sleep(0.5)


class Watch:
    """Polls the burst cases' timeline each second: when each step was first seen there."""

    def __init__(self, ctx: Context, ids: list[UUID]) -> None:
        self.ctx, self.ids = ctx, ids
        self.seen: dict[tuple[UUID, str], datetime] = {}
        self.rows: dict[tuple[UUID, str], Any] = {}
        self._last_id = 0

    async def poll(self) -> None:
        async with self.ctx.stack.pool.acquire() as conn:
            # A window below the highest id seen: a row may commit after one with a higher id.
            rows = await probes.step_events(
                conn, ids=self.ids, after_id=max(0, self._last_id - 5000)
            )
        now = datetime.now(UTC)
        for row in rows:
            key = (row["inquiry_id"], row["kind"])
            self.seen.setdefault(key, now)
            self.rows[key] = row
            self._last_id = max(self._last_id, row["id"])

    def count(self, kind: str) -> int:
        return sum(1 for _, k in self.rows if k == kind)

    async def until(self, kind: str, want: int, deadline: datetime) -> None:
        while True:
            await self.poll()
            if self.count(kind) >= want or datetime.now(UTC) >= deadline:
                return
            await asyncio.sleep(1.0)


async def probe_dispatch(ctx: Context, stop: asyncio.Event) -> Run:
    """New inquiries filed one after another during the burst: each one's time to dispatch."""
    run = Run()
    started = time.perf_counter()
    i = 0
    while not stop.is_set():
        i += 1
        try:
            answer = await ctx.http.post(
                "/api/v1/inquiries", json=inquiry_body(LIFECYCLE_CATEGORY, i), headers=ctx.key
            )
            answer.raise_for_status()
            async with Timed(run, "dispatch"):
                await until_dispatched(ctx.stack, answer.json()["id"], within=900)
            run.done += 1
        except Exception as error:
            run.failed += 1
            if len(run.errors) < 5:
                run.errors.append(repr(error)[:300])
        await asyncio.sleep(1.0)
    run.seconds = time.perf_counter() - started
    return run


async def task_failures(ctx: Context, workflow_ids: list[str]) -> dict[str, Any]:
    """Workflow tasks timed out (by kind: start-to-close, or schedule-to-start on the worker's
    sticky queue) or failed in these histories, and the workflow tasks they hold in all."""
    counts: Counter[str] = Counter()
    timeouts: Counter[str] = Counter()
    gate = asyncio.Semaphore(20)

    async def one(workflow_id: str) -> None:
        async with gate:
            handle = ctx.stack.client.get_workflow_handle(workflow_id)
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                    kind = event.workflow_task_timed_out_event_attributes.timeout_type
                    timeouts[TimeoutType.Name(kind)] += 1
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    counts["workflow_task_failures"] += 1
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                    counts["workflow_tasks"] += 1
            counts["histories"] += 1

    await asyncio.gather(*(one(w) for w in workflow_ids))
    return {
        "histories": counts["histories"],
        "workflow_tasks": counts["workflow_tasks"],
        "workflow_task_timeouts": sum(timeouts.values()),
        "workflow_task_timeouts_by_kind": dict(timeouts),
        "workflow_task_failures": counts["workflow_task_failures"],
    }


def lateness(watch: Watch, kind: str) -> dict[str, Any]:
    """Fired minus due (seconds), as the workflow fired it and as PostgreSQL showed it."""
    fired = [
        (row["occurred_at"] - row["scheduled_for"]).total_seconds()
        for (_, k), row in watch.rows.items()
        if k == kind
    ]
    seen = [
        (watch.seen[key] - row["scheduled_for"]).total_seconds()
        for key, row in watch.rows.items()
        if key[1] == kind
    ]
    return {
        "fired": summary(fired),
        "fired_over_60s": sum(1 for s in fired if s > LATE),
        "seen": summary(seen),
        "seen_over_60s": sum(1 for s in seen if s > LATE),
    }


async def run_burst(
    ctx: Context, n: int, concurrency: int, lead: float | None = None
) -> dict[str, Any]:
    """File N cases due at one instant, wait past it until every breach fired, and measure."""
    now = datetime.now(UTC)
    lead = default_lead(n) if lead is None else lead
    opening = opening_after(now, lead)
    breach = opening + BUDGET
    await prepare(ctx, now, opening)
    print(f"burst: {n} cases, opening {opening:%H:%M:%S} UTC, breach {breach:%H:%M:%S}", flush=True)
    filing, filed = await file(ctx, n, concurrency)
    ids = [UUID(i) for i in filed]
    dispatched = await wait_dispatched(ctx, ids, until=opening)
    async with ctx.stack.pool.acquire() as conn:
        due = await probes.due_at_count(conn, ids=ids, due=breach)
    last = due["last_dispatched"]
    print(
        f"burst: filed {filing.done} at {filing.rate:.1f}/s, {dispatched} dispatched before the"
        f" opening (last {last and f'{last:%H:%M:%S}'}), {due['at_due']} due at the breach",
        flush=True,
    )

    watch = Watch(ctx, ids)
    await _sleep_until(breach - timedelta(seconds=10))
    # The server's metrics are read outside the CPU window: rendering them costs the server.
    server_before = await server_metrics.of_server(ctx.stack.temporal)
    cache_before = await worker_cache.scrape(ctx.stack.worker_metrics_ports)
    before = await cpu_snapshot(ctx.stack)
    stop = asyncio.Event()
    probe = asyncio.create_task(probe_dispatch(ctx, stop))
    await watch.until(STEP, len(ids), deadline=breach + timedelta(seconds=max(300, 0.3 * n)))
    all_fired = datetime.now(UTC)
    stop.set()
    cpu = cpu_delta(before, await cpu_snapshot(ctx.stack))
    server_after = await server_metrics.of_server(ctx.stack.temporal)
    cache_after = await worker_cache.scrape(ctx.stack.worker_metrics_ports)
    rss = memory(ctx)
    probed = await probe
    await settle(ctx.stack, within=300)
    await watch.poll()
    failures = await task_failures(ctx, [case_workflow_id(i) for i in filed])
    breaches = watch.count(STEP)
    late = lateness(watch, STEP)
    return {
        "cases": n,
        "filed": filing.done,
        "failed": filing.failed,
        "errors": filing.errors,
        "intake_rate": filing.rate,
        "lead_seconds": lead,
        "opening": opening.isoformat(),
        "breach": breach.isoformat(),
        "dispatched_before_opening": dispatched,
        "due_at_breach": due["at_due"],
        "margin_seconds": None if last is None else (breach - last).total_seconds(),
        "steps": dict(Counter(k for _, k in watch.rows)),
        "step": STEP,
        "breaches_fired": breaches,
        "unfired": len(ids) - breaches,
        "lateness": late,
        "all_fired_after_seconds": (all_fired - breach).total_seconds(),
        **failures,
        "new_inquiries_during_burst": {
            "filed": probed.done,
            "failed": probed.failed,
            "errors": probed.errors,
            "dispatch": summary(probed.latencies.get("dispatch", [])),
        },
        "cpu_seconds": cpu,
        "temporal_persistence": (
            server_metrics.spent(server_before, server_after, per=n)
            if server_before is not None and server_after is not None
            else None
        ),
        "rss_bytes": rss,
        "sticky_cache": worker_cache.between(cache_before, cache_after),
        "worker_settings": {name: os.environ.get(name) for name in WORKER_SETTINGS},
    }
