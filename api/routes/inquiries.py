"""Intake, the staff views of inquiries, and the unit's reply."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from api.case_schemas import ReplyAccepted
from api.deps import (
    REPLIERS,
    AppSettings,
    Cases,
    CurrentStaff,
    IntakeChecks,
    IntakeClient,
    Pool,
    Staff,
    Temporal,
    actor_of,
    intake_caller,
    require_role,
)
from api.errors import error_responses
from api.paging import Offset
from api.schemas import ReplyIn
from domain.case import CaseStatus
from service import inquiries as reads
from service.inquiry_models import InquiryCreate, InquiryCreated, InquiryDetail, Page
from service.intake import file_inquiry

router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])
# Who may reply at all (an auth rule); whether this case takes the reply is the workflow's call.
Replier = Annotated[Staff, Depends(require_role(*REPLIERS))]


@router.post(
    "",
    status_code=201,
    response_model=InquiryCreated,
    responses={
        200: {"model": InquiryCreated, "description": "a repeat: the inquiry filed before"},
        **error_responses(400, 401, 403, 409, 422, 503),
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


@router.get("", responses=error_responses(401, 403, 422))
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
    offset: Offset = 0,
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


@router.get("/{inquiry_id}", responses=error_responses(401, 403, 404, 422))
async def get_inquiry(
    inquiry_id: UUID, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> InquiryDetail:
    """The inquiry, its unit, clocks, escalations, reply, feedback and timeline."""
    return await reads.detail(pool, temporal, staff, inquiry_id=inquiry_id)


@router.post(
    "/{inquiry_id}/reply",
    response_model=ReplyAccepted,
    responses={
        202: {"model": ReplyAccepted, "description": "queued: recorded when a worker runs"},
        **error_responses(401, 403, 404, 409, 422),
    },
)
async def reply(
    inquiry_id: UUID, body: ReplyIn, response: Response, cases: Cases, staff: Replier
) -> ReplyAccepted:
    """The responsible unit's reply; 200 once the citizen's feedback is sent, 202 if queued."""
    state = await cases.reply(inquiry_id, actor_of(staff), body.content)
    if state is None:
        response.status_code = 202
    return ReplyAccepted.of(inquiry_id, state)
