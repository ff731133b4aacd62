"""The measured sub-phases: intake and the full closed loop, bare and through the service, each
with the CPU it cost every process; and the history of a sample of closed cases."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateStage

from bench import procs, server_metrics
from bench.bare import SHAPED_STEPS, BareWorkflow, ShapedWorkflow, dispatch_marks
from bench.client import Api
from bench.load import Run, Timed, run_many
from bench.stack import Stack
from domain import directory
from domain.ids import case_workflow_id
from domain.routing import choose_unit
from repository import benchmarks as probes
from repository import inquiries as reads

GROUPS = ("temporal", "api", "worker", "bare", "postgres", "client")
DB_CALLS = "temporal_db_calls"  # beside the groups in a sub-phase's figures: not CPU seconds
STACK_GROUPS = GROUPS[:4]
LIFECYCLE_CATEGORY = "outage"  # the default; the demo's burst-main rule sends it to pipe_repair
CONTENT = "中山路口爆管，水漫到路面"
DISTRICT = "和平区"


def looping_categories() -> list[str]:
    """The demo categories whose case closes on the citizen's rating right after the reply (no
    review step), so the lifecycle below can run them: `--category` takes one of these."""
    return [c.code for c in directory.CATEGORIES if "review" not in directory.POLICIES[c.code]]


def unit_of(category: str) -> str:
    """The unit the demo's routing rules send the benchmark's inquiry of this category to (the
    handler who acts on the lifecycle's cases belongs to it)."""
    rules = directory.RULES
    return choose_unit(rules, category=category, district=DISTRICT, content=CONTENT).unit_code


def inquiry_body(category: str, i: int) -> dict[str, Any]:
    return {
        "category": category,
        "content": f"{CONTENT} #{i}",
        "citizen": {"name": "张三", "phone": "13812345678"},
        "address": "中山路1号",
        "district": DISTRICT,
        "external_ref": f"bench-{uuid.uuid4().hex[:10]}",
    }


AUTOVACUUM_WAIT = 300.0  # seconds; autovacuum looks once a minute by default
SHORT_AUTOVACUUM_WAIT = 30.0


@dataclass
class Context:
    """What the phases share: the stack, one HTTP client, the credentials they act with, and
    the category the intake and lifecycle phases file (the handler belongs to its unit)."""

    stack: Stack
    http: Api
    key: dict[str, str]
    handler: dict[str, str]
    category: str = LIFECYCLE_CATEGORY
    # Seconds the idle lists wait for autovacuum (bench/scale.py); --short waits less, since a
    # shared server's autovacuum may reach a new database only after minutes.
    autovacuum_wait: float = AUTOVACUUM_WAIT
    closed_service: list[str] = field(default_factory=list)
    closed_bare: list[str] = field(default_factory=list)
    closed_shaped: list[str] = field(default_factory=list)


# ---- CPU by process ----


async def cpu_snapshot(stack: Stack) -> dict[str, dict[int, float]]:
    """CPU seconds so far of every process of each group (PostgreSQL: the database's backends;
    "client": this benchmark process itself, the load generator, which shares the cores)."""
    snap = {name: procs.cpu_of(stack.pids(name)) for name in STACK_GROUPS}
    snap["postgres"] = procs.cpu_of(await stack.postgres_pids())
    snap["client"] = {os.getpid(): time.process_time()}
    return snap


def cpu_delta(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    """CPU seconds each group spent in between (a backend that appeared counts from 0)."""
    return {name: procs.cpu_spent(before[name], after[name]) for name in GROUPS}


async def settle(
    stack: Stack, *, quiet: float = 0.15, window: float = 1.0, within: float = 120.0
) -> float:
    """Wait until our processes together use less than `quiet` of a core over `window` seconds
    (the worker has caught up); returns how long that took."""
    started = time.perf_counter()
    names = ("temporal", "api", "worker", "bare")
    while time.perf_counter() - started < within:
        pids = [pid for name in names for pid in stack.pids(name)]
        before = procs.total_cpu(pids)
        await asyncio.sleep(window)
        if (procs.total_cpu(pids) - before) / window < quiet:
            break
    return time.perf_counter() - started


async def until_dispatched(stack: Stack, inquiry_id: str, within: float = 120.0) -> None:
    deadline = time.perf_counter() + within
    async with stack.pool.acquire() as conn:
        while (await reads.status_of(conn, inquiry_id=UUID(inquiry_id))) in (None, "received"):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{inquiry_id} not dispatched within {within} s")
            await asyncio.sleep(0.05)


async def until_marked(mark: Path, within: float = 120.0) -> None:
    """Poll for the shaped case's dispatch mark as `until_dispatched` polls the read model."""
    deadline = time.perf_counter() + within
    while not mark.exists():  # noqa: ASYNC240 - a stat of a local file, every 50 ms
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{mark.name} not dispatched within {within} s")
        await asyncio.sleep(0.05)


async def until_all_dispatched(stack: Stack, ids: list[str], within: float) -> None:
    wanted = [UUID(i) for i in ids]
    deadline = time.perf_counter() + within
    while True:
        async with stack.pool.acquire() as conn:
            if await probes.count_past_intake(conn, ids=wanted) >= len(wanted):
                return
        if time.perf_counter() > deadline:
            raise TimeoutError(f"not all of {len(ids)} inquiries were dispatched in {within} s")
        await asyncio.sleep(0.5)


async def file_inquiry(ctx: Context, run: Run, category: str, i: int) -> dict[str, Any]:
    """POST one inquiry as an intake form does, timed as the step "intake"; the 201 answer."""
    async with Timed(run, "intake"):
        answer = await ctx.http.post(
            "/api/v1/inquiries", json=inquiry_body(category, i), headers=ctx.key
        )
    if answer.status_code != 201:
        raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:200]}")
    filed: dict[str, Any] = answer.json()
    return filed


# ---- the sub-phases ----


async def measured(ctx: Context, work: Any, drain: Any = None) -> tuple[Run, dict[str, float]]:
    """Run a sub-phase, let the worker catch up, and return it with the CPU it cost."""
    await settle(ctx.stack, within=30)
    # The server's metrics are read outside the CPU window: rendering them costs the server.
    calls_before = await server_metrics.of_server(ctx.stack.temporal)
    before = await cpu_snapshot(ctx.stack)
    run: Run = await work
    if drain is not None:
        await drain(run)
    await settle(ctx.stack)
    spent = cpu_delta(before, await cpu_snapshot(ctx.stack))
    # Not CPU, but counted the same way: the dev server's database calls in between.
    calls_after = await server_metrics.of_server(ctx.stack.temporal)
    spent[DB_CALLS] = server_metrics.calls_between(calls_before, calls_after)
    return run, spent


async def bare_intake(ctx: Context, n: int, concurrency: int) -> tuple[Run, dict[str, float]]:
    async def one(i: int, run: Run) -> None:
        async with Timed(run, "start"):
            await ctx.stack.client.start_workflow(
                BareWorkflow.run,
                f"intake-{i}",
                id=f"bare-intake-{uuid.uuid4().hex}",
                task_queue=ctx.stack.bare_queue,
            )

    return await measured(ctx, run_many(n, concurrency, one))


async def service_intake(ctx: Context, n: int, concurrency: int) -> tuple[Run, dict[str, float]]:
    filed: list[str] = []

    async def one(i: int, run: Run) -> None:
        filed.append((await file_inquiry(ctx, run, ctx.category, i))["id"])

    async def drain(run: Run) -> None:
        await until_all_dispatched(ctx.stack, filed, within=300)

    return await measured(ctx, run_many(n, concurrency, one), drain)


async def _timed_start(
    ctx: Context, run: Run, workflow: Any, prefix: str, i: int
) -> WorkflowHandle[Any, str]:
    """Start case i of a bare-queue workflow under a new id, timed as the step "start"."""
    async with Timed(run, "start"):
        handle: WorkflowHandle[Any, str] = await ctx.stack.client.start_workflow(
            workflow,
            f"case-{i}",
            id=f"{prefix}-{uuid.uuid4().hex}",
            task_queue=ctx.stack.bare_queue,
        )
    return handle


async def bare_lifecycle(ctx: Context, n: int, concurrency: int) -> tuple[Run, dict[str, float]]:
    async def one(i: int, run: Run) -> None:
        handle = await _timed_start(ctx, run, BareWorkflow.run, "bare-case", i)
        workflow_id = handle.id
        # The bare side of a staff action: the signal, the activity it starts and the result.
        async with Timed(run, "action"):
            async with Timed(run, "signal"):
                await handle.signal(BareWorkflow.proceed)
            async with Timed(run, "complete"):
                await handle.result()
        ctx.closed_bare.append(workflow_id)

    return await measured(ctx, run_many(n, concurrency, one))


async def shaped_lifecycle(ctx: Context, n: int, concurrency: int) -> tuple[Run, dict[str, float]]:
    """The case's shape on bare Temporal (bench/bare.py `ShapedWorkflow`): start, wait for its
    dispatch, then the three staff actions as updates straight from the client, as the API
    sends them, then the result."""

    async def one(i: int, run: Run) -> None:
        handle = await _timed_start(ctx, run, ShapedWorkflow.run, "shaped-case", i)
        workflow_id = handle.id
        async with Timed(run, "dispatch"):
            await until_marked(dispatch_marks(ctx.stack.var_dir) / workflow_id)
        staff = (ShapedWorkflow.acknowledge, ShapedWorkflow.reply, ShapedWorkflow.rate)
        for step, update in zip(SHAPED_STEPS[1:], staff, strict=True):
            async with Timed(run, step):
                await _accepted_then_done(handle, update)
        async with Timed(run, "complete"):
            await handle.result()
        ctx.closed_shaped.append(workflow_id)

    return await measured(ctx, run_many(n, concurrency, one))


async def _accepted_then_done(handle: WorkflowHandle[Any, Any], update: Any) -> None:
    """An update sent as the API sends a staff action: wait until accepted, then its result."""
    taken = await handle.start_update(update, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await taken.result()


async def _act(
    ctx: Context, run: Run, step: str, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    async with Timed(run, step):
        answer = await ctx.http.post(path, json=body, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{step} answered {answer.status_code}: {answer.text[:200]}")
    result: dict[str, Any] = answer.json()
    return result


async def service_lifecycle(ctx: Context, n: int, concurrency: int) -> tuple[Run, dict[str, float]]:
    """受理 → 派单 → 签收 → 答复 → 回访 rating → 办结, each step over HTTP as staff would."""

    async def one(i: int, run: Run) -> None:
        answer = await file_inquiry(ctx, run, ctx.category, i)
        inquiry_id, code = answer["id"], answer["tracking_code"]
        async with Timed(run, "dispatch"):
            await until_dispatched(ctx.stack, inquiry_id)
        path = f"/api/v1/inquiries/{inquiry_id}"
        await _act(ctx, run, "acknowledge", f"{path}/acknowledge", {}, ctx.handler)
        reply = {"content": "抢修队已到场，今晚22点前恢复供水。"}
        await _act(ctx, run, "reply", f"{path}/reply", reply, ctx.handler)
        rating = {"rating": "satisfied"}
        rated = await _act(
            ctx, run, "rating", f"/api/v1/public/inquiries/{code}/rating", rating, {}
        )
        if rated.get("status") != "closed":
            raise RuntimeError(f"rated but {rated.get('status')}")
        async with Timed(run, "complete"):
            await ctx.stack.client.get_workflow_handle(case_workflow_id(inquiry_id)).result()
        ctx.closed_service.append(case_workflow_id(inquiry_id))

    return await measured(ctx, run_many(n, concurrency, one))


# ---- where the cost is ----


async def history_of(ctx: Context, workflow_ids: list[str]) -> dict[str, float]:
    """Mean events per closed case in its history, by the kinds that cost a server round trip."""
    counts: Counter[str] = Counter()
    for workflow_id in workflow_ids:
        history = await ctx.stack.client.get_workflow_handle(workflow_id).fetch_history()
        counts["events"] += len(history.events)
        for event in history.events:
            counts[EventType.Name(event.event_type)] += 1
            if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                counts[event.marker_recorded_event_attributes.marker_name] += 1
    kinds = {
        "events": "events",
        "activities": "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED",
        # The SDK core's markers: a local activity's result, or a patch asked (workflow.patched).
        "local_activities": "core_local_activity",
        "patch_markers": "core_patch",
        "workflow_tasks": "EVENT_TYPE_WORKFLOW_TASK_COMPLETED",
        "timers_started": "EVENT_TYPE_TIMER_STARTED",
        "timers_cancelled": "EVENT_TYPE_TIMER_CANCELED",
        "search_attribute_upserts": "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
        "updates": "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "signals": "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED",
    }
    size = max(1, len(workflow_ids))
    figures = {name: counts[kind] / size for name, kind in kinds.items()}
    figures["sampled"] = len(workflow_ids)
    return figures
