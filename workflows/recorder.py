"""How the case workflow records a change: project the clocks, then write the event with them.

Module functions the CaseWorkflow (workflows/case.py) calls. The order of the activities is part of every
running case's history: `plan`, then `record`, then the search-attribute upsert. They run as local
activities in cases started after workflows/options.py LOCAL_PATCH, as ordinary ones before.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain.agenda import Plan  # by its full name: see the note in workflows/case.py
    from domain.case import CaseState
    from domain.change import Change
    from domain.policy import CasePolicy
    from domain.transition import FiredSteps, PlanRequest, Transition
    from workflows import search_attributes
    from workflows.options import execute_short


async def plan(inquiry_id: str, state: CaseState, policy: CasePolicy) -> None:
    """Project every clock with the current calendar; the due times and agenda come back."""
    projected: Plan = await execute_short(
        CaseActivities.plan,
        PlanRequest(inquiry_id=inquiry_id, state=state, policy=policy, now=workflow.now()),
    )
    state.deadlines, state.agenda = projected.deadlines, projected.agenda


async def record(inquiry_id: str, state: CaseState, policy: CasePolicy, change: Change) -> None:
    """The change's state is the case's now: re-project, then record the event with the new
    clock, its read-model columns, tasks and notices."""
    await plan(inquiry_id, state, policy)
    task = change.task
    if task is not None and task.open_unit is not None and task.due_at is None:
        task.due_at = state.deadlines.reply_due  # the acknowledgement due is on the case
    state.seq += 1
    await execute_short(
        CaseActivities.record,
        Transition(
            inquiry_id=inquiry_id,
            seq=state.seq,
            kind=change.kind,
            actor=change.actor,
            at=workflow.now(),
            status=state.status,
            unit_code=state.unit,
            reason=change.reason,
            detail=change.detail,
            clock=_clock(state),
            columns=change.columns,
            task=task,
            notices=change.all_notices(state.deadlines),
        ),
    )
    search_attributes.upsert(state)


async def fire(fired: FiredSteps) -> None:
    await execute_short(CaseActivities.fire_steps, fired)


async def replan(inquiry_id: str, state: CaseState, policy: CasePolicy) -> None:
    """Only the agenda moves (ladder steps that change nothing else)."""
    await plan(inquiry_id, state, policy)
    search_attributes.upsert(state)


def _clock(state: CaseState) -> dict[str, str]:
    d = state.deadlines
    out = {"provisional": str(d.provisional).lower()}
    for name, value in (
        ("ack_due", d.ack_due),
        ("reply_due", d.reply_due),
        ("follow_up_due", d.follow_up_due),
    ):
        if value is not None:
            out[name] = value.isoformat()
    return out
