"""The closed loop through HTTP: each staff action, the SLA explanation and the timeline.

Each route parses, calls the case service and answers with a declared model; the case workflow's
validators decide whether an action is allowed (refusals: 403, 409, 422 with a code).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path

from api.case_schemas import (
    CaseOut,
    CoHandlerInputOut,
    CoHandlersIn,
    CoInputIn,
    DecisionIn,
    Empty,
    ExtensionIn,
    InfoRequestIn,
    MergeIn,
    RatingIn,
    ReopenIn,
    ReturnDecisionIn,
    ReturnIn,
    ReviewIn,
    SlaOut,
    SupplementIn,
    TimelineOut,
    TransferIn,
)
from api.deps import CITIZEN_RECORDERS, Cases, CurrentStaff, Staff, actor_of, require_role
from api.errors import error_responses
from domain import case as c

router = APIRouter(prefix="/api/v1/inquiries", tags=["cases"])

ACTION = error_responses(401, 403, 404, 409, 422, 503)
READ = error_responses(401, 403, 404)
# Who records what a citizen said by phone: an auth rule on the endpoint, not a case rule.
Operator = Annotated[Staff, Depends(require_role(*CITIZEN_RECORDERS))]


@router.post("/{inquiry_id}/acknowledge", response_model=CaseOut, responses=ACTION)
async def acknowledge(inquiry_id: UUID, _: Empty, cases: Cases, staff: CurrentStaff) -> CaseOut:
    """签收: the unit signs for the case (its clock started at dispatch)."""
    state = await cases.acknowledge(inquiry_id, c.Acknowledge(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/return", response_model=CaseOut, responses=ACTION)
async def return_case(
    inquiry_id: UUID, body: ReturnIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """退单: a mis-dispatched case goes back to the office with a reason code."""
    return CaseOut.of(inquiry_id, await cases.return_case(inquiry_id, body.action(actor_of(staff))))


@router.post("/{inquiry_id}/return-decision", response_model=CaseOut, responses=ACTION)
async def decide_return(
    inquiry_id: UUID, body: ReturnDecisionIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """改派 to another unit (accept) or send back to the unit that returned it (refuse)."""
    state = await cases.decide_return(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/transfer", response_model=CaseOut, responses=ACTION)
async def transfer(
    inquiry_id: UUID, body: TransferIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """转办: the office or a supervisor moves the case; the reply clock keeps running."""
    return CaseOut.of(inquiry_id, await cases.transfer(inquiry_id, body.action(actor_of(staff))))


@router.post("/{inquiry_id}/extension", response_model=CaseOut, responses=ACTION)
async def request_extension(
    inquiry_id: UUID, body: ExtensionIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """延期: asked with reason and legal basis before the policy's notice period."""
    state = await cases.request_extension(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/extension-decision", response_model=CaseOut, responses=ACTION)
async def decide_extension(
    inquiry_id: UUID, body: DecisionIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """延期: a supervisor approves (the reply clock gets the amount) or refuses."""
    state = await cases.decide_extension(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/info-request", response_model=CaseOut, responses=ACTION)
async def request_info(
    inquiry_id: UUID, body: InfoRequestIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """补正: ask the citizen for more; the reply clock pauses until the answer."""
    state = await cases.request_info(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/supplement", response_model=CaseOut, responses=ACTION)
async def supplement(
    inquiry_id: UUID, body: SupplementIn, cases: Cases, staff: Operator
) -> CaseOut:
    """An operator records the citizen's answer taken by phone."""
    return CaseOut.of(inquiry_id, await cases.supplement(inquiry_id, body.action(staff.username)))


@router.post("/{inquiry_id}/review", response_model=CaseOut, responses=ACTION)
async def review(inquiry_id: UUID, body: ReviewIn, cases: Cases, staff: CurrentStaff) -> CaseOut:
    """审核: approve the draft reply (it goes to the citizen) or return it with a comment."""
    return CaseOut.of(inquiry_id, await cases.review(inquiry_id, body.action(actor_of(staff))))


@router.post("/{inquiry_id}/rating", response_model=CaseOut, responses=ACTION)
async def rate(inquiry_id: UUID, body: RatingIn, cases: Cases, staff: Operator) -> CaseOut:
    """回访: an operator records the citizen's rating from the follow-up call."""
    return CaseOut.of(inquiry_id, await cases.rate(inquiry_id, body.action(staff.username)))


@router.post("/{inquiry_id}/reopen-decision", response_model=CaseOut, responses=ACTION)
async def decide_reopen(
    inquiry_id: UUID, body: ReopenIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """After a second 不满意: a supervisor closes the case or reopens it (重办)."""
    state = await cases.decide_reopen(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post("/{inquiry_id}/merge", response_model=CaseOut, responses=ACTION)
async def merge(inquiry_id: UUID, body: MergeIn, cases: Cases, staff: CurrentStaff) -> CaseOut:
    """并单: this case follows an open main case; its citizen gets the main case's answer."""
    return CaseOut.of(inquiry_id, await cases.merge(inquiry_id, body.action(actor_of(staff))))


@router.post("/{inquiry_id}/cohandlers", response_model=CaseOut, responses=ACTION)
async def assign_cohandlers(
    inquiry_id: UUID, body: CoHandlersIn, cases: Cases, staff: CurrentStaff
) -> CaseOut:
    """主办/协办: co-handling units, each with its own task and deadline."""
    state = await cases.assign_cohandlers(inquiry_id, body.action(actor_of(staff)))
    return CaseOut.of(inquiry_id, state)


@router.post(
    "/{inquiry_id}/cohandlers/{unit}/input", response_model=CoHandlerInputOut, responses=ACTION
)
async def cohandler_input(
    inquiry_id: UUID,
    unit: Annotated[str, Path(min_length=1, max_length=64)],
    body: CoInputIn,
    cases: Cases,
    staff: CurrentStaff,
) -> CoHandlerInputOut:
    """A co-handling unit's answer; the lead replies once every co-handler answered or was escalated."""
    status = await cases.cohandler_input(inquiry_id, unit, body.answer(actor_of(staff)))
    return CoHandlerInputOut(id=inquiry_id, unit=unit, status=status)


@router.get("/{inquiry_id}/timeline", response_model=TimelineOut, responses=READ)
async def timeline(inquiry_id: UUID, cases: Cases, staff: CurrentStaff) -> TimelineOut:
    """Every transition, append-only: what happened, who did it, when, why, and the clock then."""
    return TimelineOut.of(await cases.timeline(inquiry_id, staff))


@router.get("/{inquiry_id}/sla", response_model=SlaOut, responses=READ)
async def sla(inquiry_id: UUID, cases: Cases, staff: CurrentStaff) -> SlaOut:
    """Each target explained: budget, start, segments, due time, remaining or overdue."""
    return SlaOut.of(await cases.sla(inquiry_id, staff))
