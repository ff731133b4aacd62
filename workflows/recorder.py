"""How the case workflow records a change: project the clocks, then write the event with them.

Module functions the CaseWorkflow (workflows/case.py) calls. The order of the activities is part of every
running case's history. Before ONE_PATCH: `plan`, then `record` (or `fire_steps`, then `plan`),
then the search-attribute upsert. After it: one activity for both (`record_projected`,
`fire_and_plan`), then the upsert. They run as local activities in cases started after
workflows/options.py LOCAL_PATCH, as ordinary ones before. Cases of revision 2 upsert only the
search attributes that changed, and none when nothing did (`_show`).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain.agenda import Plan  # by its full name: see the note in workflows/case.py
    from domain.case import CaseState
    from domain.change import Change, counted
    from domain.policy import CasePolicy
    from domain.transition import (
        FiredAndPlanned,
        FiredSteps,
        PlanRequest,
    )
    from workflows import search_attributes
    from workflows.options import execute_short

from workflows import revision

# Runs that ask this patch first outside a replay record a transition, and ladder steps that move
# only the agenda, with their re-projection in one activity: one marker and one transaction
# instead of two (issue 10). `patched` is asked at the run's first record or fire and memoized
# for the run, so a run that replays that point without the marker keeps two activities to its
# end. A patch costs 2 events (levers/timers.md); the closed loop saves one marker per change.
ONE_PATCH = "one-activity-per-transition"


async def plan(inquiry_id: str, state: CaseState, policy: CasePolicy) -> None:
    """Project every clock with the current calendar; the due times and agenda come back."""
    _take(state, await execute_short(CaseActivities.plan, _plan_request(inquiry_id, state, policy)))


async def record(inquiry_id: str, policy: CasePolicy, change: Change) -> None:
    """The change's state is the case's now: re-project, then record the event with the new
    clock, its read-model columns, tasks and notices."""
    state = change.state
    # A 延期's notices name the new due time, known only after the projection: two activities.
    if change.announce is None and revision.taken(ONE_PATCH):
        request = counted(inquiry_id, change, policy, workflow.now())
        _take(state, await execute_short(CaseActivities.record_projected, request))
    else:
        await plan(inquiry_id, state, policy)
        state.seq += 1
        transition = change.transition(inquiry_id, workflow.now())
        await execute_short(CaseActivities.record, transition.projected(state.deadlines))
    _show(state)


def recorded(change: Change, projected: Plan) -> None:
    """A change an activity has recorded with its projection already (the first 派单 of a
    revision-3 case, `receive_and_dispatch`, which counted it from the same route): counted and
    projected here as `record` would have."""
    change.state.seq += 1
    _take(change.state, projected)
    _show(change.state)


async def fire(fired: FiredSteps) -> None:
    await execute_short(CaseActivities.fire_steps, fired)


async def fire_and_replan(
    fired: FiredSteps, inquiry_id: str, state: CaseState, policy: CasePolicy
) -> None:
    """Ladder steps that move only the agenda: recorded, then the clocks re-projected."""
    if revision.taken(ONE_PATCH):
        request = FiredAndPlanned(fired=fired, plan=_plan_request(inquiry_id, state, policy))
        _take(state, await execute_short(CaseActivities.fire_and_plan, request))
    else:
        await fire(fired)
        await plan(inquiry_id, state, policy)
    _show(state)


def _show(state: CaseState) -> None:
    """The case's search attributes after a change: only what changed from revision 2 on."""
    if revision.of_run() >= revision.UPSERT_CHANGED:
        search_attributes.upsert_changed(state)
    else:
        search_attributes.upsert(state)


def _plan_request(inquiry_id: str, state: CaseState, policy: CasePolicy) -> PlanRequest:
    return PlanRequest(inquiry_id=inquiry_id, state=state, policy=policy, now=workflow.now())


def _take(state: CaseState, projected: Plan) -> None:
    state.deadlines, state.agenda = projected.deadlines, projected.agenda
