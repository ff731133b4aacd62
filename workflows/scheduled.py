"""The scheduled work, started by Temporal Schedules (service/schedules.py): each morning a
digest to every unit head, each month a summary to the supervisors. Both only queue notices in
the outbox (the dispatcher delivers them); the outbox keys make a repeated run send nothing new."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.scheduled import ScheduledActivities
    from domain.digest import (
        DigestBatch,
        DigestPlanInput,
        DigestRequest,
        DigestResult,
        SummaryBatch,
        SummaryRequest,
        SummaryResult,
    )
    from workflows.options import execute

# Set by Temporal on every run a schedule starts: the time the schedule fired, so a run the
# worker picks up late is still the digest of the day it was meant for.
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def _started() -> datetime:
    return workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now()


@workflow.defn
class DigestWorkflow:
    """每日待办: a working day's digest of open, due-soon and overdue cases to each unit head,
    held to office hours and skipped on non-working days of the operator calendar."""

    @workflow.run
    async def run(self, request: DigestRequest) -> DigestResult:
        plan = await execute(
            ScheduledActivities.plan_digest, DigestPlanInput(started=_started(), day=request.day)
        )
        if plan.send_at is None:
            workflow.logger.info("digest skipped", extra={"day": plan.day, "why": plan.skipped})
            return DigestResult(day=plan.day, skipped=plan.skipped)
        if plan.send_at > workflow.now():
            await workflow.sleep(plan.send_at - workflow.now())  # held until the office opens
        queued = await execute(
            ScheduledActivities.queue_digests, DigestBatch(day=plan.day, at=workflow.now())
        )
        return DigestResult(day=plan.day, queued=queued)


@workflow.defn
class SummaryWorkflow:
    """月度通报: the previous month's figures (filed, closed, on time, overdue, satisfaction) to
    every supervisor."""

    @workflow.run
    async def run(self, request: SummaryRequest) -> SummaryResult:
        return await execute(
            ScheduledActivities.queue_summaries, SummaryBatch(month=request.month, at=_started())
        )
