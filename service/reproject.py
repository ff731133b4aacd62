"""Telling open case workflows that the working calendar changed, so they re-project due times.

Only cases whose workflow understands the signal (inquiries.workflow_version >= 2) are told.
The change must be committed first: the workflow's activity reads the calendar afresh.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.models import CalendarChange
from repository import calendar as calendar_repo
from repository import cases as case_repo
from workflows.case import CaseWorkflow

log = structlog.get_logger(__name__)

CONCURRENCY = 20
RPC_TIMEOUT = timedelta(seconds=10)
# The workflow ended between reading inquiries and signalling it: nothing to re-project.
_GONE = frozenset({RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION})


class ReprojectionIncomplete(Exception):
    """Some open cases could not be told (Temporal unreachable or refusing); the data stands."""

    def __init__(self, *, told: int, unreached: int, cause: BaseException) -> None:
        super().__init__(f"{unreached} open case(s) not told of the calendar change: {cause}")
        self.told, self.unreached, self.cause = told, unreached, cause


async def notify_open_cases(pool: asyncpg.Pool, temporal: Client, change: CalendarChange) -> int:
    """Signal every open v2 case workflow; returns how many were told.

    Workflows that already ended are skipped. On the first other failure the remaining signals
    are not sent (Temporal is most likely down) and ReprojectionIncomplete is raised.
    """
    async with pool.acquire() as conn:
        workflow_ids = await calendar_repo.open_case_workflow_ids(conn)
    gate = asyncio.Semaphore(CONCURRENCY)
    failure: list[BaseException] = []
    told = gone = 0

    async def tell(workflow_id: str) -> None:
        nonlocal told, gone
        async with gate:
            if failure:
                return
            try:
                await temporal.get_workflow_handle(workflow_id).signal(
                    CaseWorkflow.calendar_changed, change, rpc_timeout=RPC_TIMEOUT
                )
            except RPCError as exc:
                if exc.status in _GONE:
                    gone += 1
                    log.info("calendar_signal_skipped", workflow_id=workflow_id, reason="closed")
                    return
                failure.append(exc)
                return
            except Exception as exc:  # connection-level errors surface as other types
                failure.append(exc)
                return
            told += 1

    await asyncio.gather(*(tell(wid) for wid in workflow_ids))
    if failure:
        unreached = len(workflow_ids) - told - gone
        log.warning(
            "calendar_reprojection_incomplete",
            told=told,
            unreached=unreached,
            error=str(failure[0]),
        )
        raise ReprojectionIncomplete(told=told, unreached=unreached, cause=failure[0])
    log.info("calendar_reprojection_sent", told=told, days=change.changed_days)
    return told


async def announce(
    pool: asyncpg.Pool,
    temporal: Client,
    *,
    change_id: int,
    days: list[date],
    reason: str,
) -> tuple[int, int]:
    """Tell open cases of a recorded (committed) change and note the count on its record.

    Returns (told, unreached); unreached is non-zero only when Temporal failed part way.
    """
    change = CalendarChange(
        changed_days=[d.isoformat() for d in sorted(days)],
        changed_at=datetime.now(UTC),
        reason=reason,
    )
    try:
        told, unreached = await notify_open_cases(pool, temporal, change), 0
    except ReprojectionIncomplete as incomplete:
        told, unreached = incomplete.told, incomplete.unreached
    async with pool.acquire() as conn:
        await calendar_repo.set_cases_notified(conn, change_id=change_id, cases_notified=told)
    return told, unreached


async def notify_policy_change(pool: asyncpg.Pool, temporal: Client, *, category: str) -> int:
    """Tell the open v2 cases of a category that its policy changed; returns how many."""
    async with pool.acquire() as conn:
        workflow_ids = await case_repo.open_case_workflow_ids_of_category(conn, category=category)
    told = 0
    for workflow_id in workflow_ids:
        try:
            await temporal.get_workflow_handle(workflow_id).signal(
                CaseWorkflow.policy_changed, rpc_timeout=RPC_TIMEOUT
            )
            told += 1
        except RPCError as exc:
            if exc.status not in _GONE:
                log.warning("policy_signal_failed", workflow_id=workflow_id, error=str(exc))
    return told
