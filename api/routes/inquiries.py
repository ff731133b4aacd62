"""Intake, the staff views of inquiries, and the unit's reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from api.deps import (
    AppSettings,
    CurrentStaff,
    IntakeChecks,
    IntakeClient,
    Pool,
    Staff,
    Temporal,
    intake_caller,
)
from api.errors import ApiError
from api.replies import submit_reply
from api.schemas import (
    InquiryCreate,
    InquiryCreated,
    InquiryDetail,
    Page,
    ReplyAccepted,
    ReplyIn,
    refusals,
)
from domain.case import CaseStatus
from domain.models import Role
from repository import inquiries as repo
from service import inquiries as reads
from service.intake import file_inquiry

router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])


@router.post(
    "",
    status_code=201,
    response_model=InquiryCreated,
    responses={
        200: {"model": InquiryCreated, "description": "a repeat: the inquiry filed before"},
        **refusals(400, 401, 403, 409, 422, 503),
    },
)
async def create_inquiry(
    body: InquiryCreate,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    checks: IntakeChecks,
    caller: Annotated[IntakeClient | Staff, Depends(intake_caller)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """File an inquiry. The same Idempotency-Key and body again returns the same inquiry (200)."""
    filed = await file_inquiry(
        pool,
        temporal,
        checks,
        task_queue=settings.task_queue,
        caller=caller,
        body=body,
        idempotency_key=idempotency_key,
    )
    out = InquiryCreated(
        id=filed.inquiry_id, tracking_code=filed.tracking_code, status=filed.status
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if filed.created else 200)


@router.get("", responses=refusals(401, 403, 422))
async def list_inquiries(
    pool: Pool,
    staff: CurrentStaff,
    status: CaseStatus | None = None,
    unit: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    overdue: bool | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Supervisors see every inquiry; handlers and unit heads those of their unit."""
    return await reads.search(
        pool,
        staff,
        status=status,
        unit=unit,
        category=category,
        channel=channel,
        overdue=overdue,
        received_from=received_from,
        received_to=received_to,
        limit=limit,
        offset=offset,
    )


@router.get("/{inquiry_id}", responses=refusals(401, 403, 404, 422))
async def get_inquiry(
    inquiry_id: UUID, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> InquiryDetail:
    """The inquiry, its unit, clocks, escalations, reply, feedback and timeline."""
    return await reads.detail(pool, temporal, staff, inquiry_id=inquiry_id)


@router.post(
    "/{inquiry_id}/reply",
    responses={202: {"model": ReplyAccepted}, 403: {}, 404: {}, 409: {}},
)
async def reply(
    inquiry_id: UUID,
    body: ReplyIn,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    staff: CurrentStaff,
) -> JSONResponse:
    """The responsible unit's reply; 200 once the citizen's feedback is sent, 202 if queued."""
    if staff.role not in (Role.HANDLER, Role.UNIT_HEAD):
        raise ApiError(403, "forbidden", "only the unit's handlers reply")
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
    if row is None:
        raise ApiError(404, "not_found", "no such inquiry")
    if row["unit_code"] != staff.unit_code:
        raise ApiError(403, "wrong_unit", "this inquiry is assigned to another unit")
    if row["status"] not in (CaseStatus.DISPATCHED.value, "handling"):
        raise ApiError(409, "not_awaiting_reply", f"the inquiry is {row['status']}")
    state = await submit_reply(
        temporal,
        inquiry_id=str(inquiry_id),
        staff=staff,
        content=body.content,
        wait=timedelta(seconds=settings.reply_wait_seconds),
    )
    if state is None:
        out = ReplyAccepted(
            id=inquiry_id, status="reply_queued", detail="taken; it is recorded when a worker runs"
        )
        return JSONResponse(out.model_dump(mode="json"), status_code=202)
    detail = {
        "in_review": "the draft waits for its reviewer (审核)",
        "follow_up": "replied; the citizen's feedback is sent, the rating awaited (回访)",
        "closed": "replied; feedback sent",
    }.get(state["status"], "replied")
    out = ReplyAccepted(
        id=inquiry_id, status=state["status"], on_time=state.get("on_time"), detail=detail
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=200)
