"""Cases that need a person: their workflow failed, or one of its activities keeps failing.

Read from Temporal, which knows every attempt: the running case workflows of the task queue are
described (a few at a time) for a pending activity at its STUCK_AFTER_ATTEMPTS-th attempt or
later, and the failed ones give the failure that ended them (a permanent fault,
activities/faults.py). The count is logged on every read, so a loop shows in the logs too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowExecution, WorkflowHistoryEventFilterType

from activities.faults import STUCK_AFTER_ATTEMPTS as STUCK_AFTER_ATTEMPTS  # for the route
from domain.ids import inquiry_id_of
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow

log = structlog.get_logger(__name__)

DESCRIBE_AT_ONCE = 8
_TYPES = f"WorkflowType IN ('{CaseWorkflow.__name__}', '{CoHandlingWorkflow.__name__}')"


@dataclass(frozen=True)
class StuckCase:
    inquiry_id: str
    workflow_id: str
    workflow_type: str
    state: str  # "failing": an activity keeps failing; "failed": the workflow ended in a failure
    activity: str | None
    attempt: int | None
    failure: str | None  # the last failure's message (no personal data: activities/faults.py)
    since: datetime | None  # the last attempt, or when the workflow failed


async def stuck_cases(
    temporal: Client, *, task_queue: str, min_attempts: int = STUCK_AFTER_ATTEMPTS, limit: int = 100
) -> list[StuckCase]:
    """Failing cases first (most attempts first), then failed ones (latest first)."""
    scope = f"{_TYPES} AND TaskQueue = '{task_queue}'"
    running = [w async for w in temporal.list_workflows(f"{scope} AND ExecutionStatus = 'Running'")]
    gate = asyncio.Semaphore(DESCRIBE_AT_ONCE)

    async def failing(execution: WorkflowExecution) -> list[StuckCase]:
        async with gate:
            handle = temporal.get_workflow_handle(execution.id, run_id=execution.run_id)
            pending = (await handle.describe()).raw_description.pending_activities
        messages = {
            a.activity_id: await _message(temporal, a.last_failure)
            for a in pending
            if a.attempt >= min_attempts
        }
        return [
            StuckCase(
                inquiry_id=inquiry_id_of(execution.id),
                workflow_id=execution.id,
                workflow_type=execution.workflow_type,
                state="failing",
                activity=activity.activity_type.name,
                attempt=activity.attempt,
                failure=messages[activity.activity_id],
                since=(
                    activity.last_started_time.ToDatetime(tzinfo=UTC)
                    if activity.HasField("last_started_time")
                    else None
                ),
            )
            for activity in pending
            if activity.attempt >= min_attempts
        ]

    found = [s for group in await asyncio.gather(*map(failing, running)) for s in group]
    found.sort(key=lambda s: -(s.attempt or 0))
    failed = temporal.list_workflows(f"{scope} AND ExecutionStatus = 'Failed'", limit=limit)
    async for execution in failed:
        found.append(await _failed(temporal, execution))
    failing_now = sum(s.state == "failing" for s in found)
    (log.warning if found else log.info)("stuck_cases", failing=failing_now, total=len(found))
    return found[:limit]


async def _failed(temporal: Client, execution: WorkflowExecution) -> StuckCase:
    handle = temporal.get_workflow_handle(execution.id, run_id=execution.run_id)
    activity = message = None
    async for event in handle.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    ):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            failure = event.workflow_execution_failed_event_attributes.failure
            while True:  # down to the activity's own failure, under its ActivityError
                if failure.HasField("activity_failure_info"):
                    activity = failure.activity_failure_info.activity_type.name
                if not failure.HasField("cause"):
                    break
                failure = failure.cause
            message = await _message(temporal, failure)
    return StuckCase(
        inquiry_id=inquiry_id_of(execution.id),
        workflow_id=execution.id,
        workflow_type=execution.workflow_type,
        state="failed",
        activity=activity,
        attempt=None,
        failure=message,
        since=execution.close_time,
    )


async def _message(temporal: Client, failure: Failure) -> str | None:
    """A failure's message. Failures travel encoded (core/temporal.py: an error can quote data),
    so it is decoded with the client's converter; the raw text if that is not possible."""
    if not failure.message and not failure.HasField("encoded_attributes"):
        return None
    try:
        error = await temporal.data_converter.decode_failure(failure)
    except Exception:
        return failure.message or None
    return str(getattr(error, "message", None) or error) or None
