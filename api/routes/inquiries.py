"""Intake, the staff views of inquiries, and the unit's reply."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api import views
from api.case_schemas import ReplyAccepted
from api.deps import (
    AppSettings,
    Cases,
    CurrentStaff,
    IntakeClient,
    Pool,
    Staff,
    Temporal,
    actor_of,
    intake_caller,
    require_role,
)
from api.errors import ApiError, error_responses
from api.intake import file_inquiry
from api.schemas import InquiryCreate, InquiryCreated, Page, ReplyIn
from domain.ids import case_workflow_id
from domain.models import InquiryStatus, Role
from repository import cases as case_repo
from repository import inquiries as repo

router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])
# Who may reply at all (an auth rule); whether this case takes the reply is the workflow's call.
Replier = Annotated[Staff, Depends(require_role(Role.HANDLER, Role.UNIT_HEAD))]


@router.post("", status_code=201, responses={200: {"model": InquiryCreated}})
async def create_inquiry(
    body: InquiryCreate,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    caller: Annotated[IntakeClient | Staff, Depends(intake_caller)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """File an inquiry. The same Idempotency-Key and body again returns the same inquiry (200)."""
    filed = await file_inquiry(
        pool,
        temporal,
        task_queue=settings.task_queue,
        caller=caller,
        body=body,
        idempotency_key=idempotency_key,
    )
    out = InquiryCreated(
        id=filed.inquiry_id, tracking_code=filed.tracking_code, status=filed.status
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if filed.created else 200)


@router.get("")
async def list_inquiries(
    pool: Pool,
    staff: CurrentStaff,
    status: InquiryStatus | None = None,
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
    if staff.unit_bound:
        if unit is not None and unit != staff.unit_code:
            raise ApiError(403, "forbidden", "you may list only your own unit's inquiries")
        unit = staff.unit_code
    async with pool.acquire() as conn:
        total, rows = await repo.search_inquiries(
            conn,
            status=status.value if status else None,
            unit=unit,
            category=category,
            channel=channel,
            overdue=overdue,
            received_from=received_from,
            received_to=received_to,
            limit=limit,
            offset=offset,
        )
    return Page(total=total, limit=limit, offset=offset, items=[views.summary(r) for r in rows])


@router.get("/{inquiry_id}")
async def get_inquiry(
    inquiry_id: UUID, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
        if row is None:
            return await _being_recorded(temporal, inquiry_id, staff)
        if not staff.may_see_unit(row["unit_code"]):
            raise ApiError(403, "forbidden", "this inquiry belongs to another unit")
        events = await repo.list_events(conn, inquiry_id=inquiry_id)
        escalations = await repo.list_escalations(conn, inquiry_id=inquiry_id)
        feedback = await repo.list_notifications(conn, inquiry_id=inquiry_id, audience="citizen")
        cohandling = await case_repo.cohandling(conn, inquiry_id=inquiry_id)
    shown = views.detail(row, events=events, escalations=escalations, feedback=feedback)
    # 协办 units' input is part of the case.
    return {**shown, "cohandling": [dict(c) for c in cohandling]}


async def _being_recorded(temporal: Client, inquiry_id: UUID, staff: Staff) -> dict[str, Any]:
    """Filed but not yet recorded (a moment ago, or while no worker runs): the workflow exists,
    so the inquiry is accepted; Temporal answers this without a worker."""
    if staff.unit_bound:  # not routed yet, so no unit may claim it
        raise ApiError(404, "not_found", "no such inquiry")
    handle = temporal.get_workflow_handle(case_workflow_id(str(inquiry_id)))
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", "no such inquiry") from exc
        raise
    return {
        "id": str(inquiry_id),
        "status": InquiryStatus.RECEIVED.value,
        "received_at": described.start_time,
        "unit": None,
        "timeline": [],
    }


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
