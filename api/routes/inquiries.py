"""Intake, the staff views of inquiries, and the unit's reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api import views
from api.deps import AppSettings, CurrentStaff, IntakeClient, Pool, Staff, Temporal, intake_caller
from api.errors import ApiError
from api.intake import file_inquiry
from api.replies import submit_reply
from api.schemas import InquiryCreate, InquiryCreated, Page, ReplyAccepted, ReplyIn
from domain.case import CaseStatus
from domain.ids import case_workflow_id
from domain.models import Role
from repository import cases as case_repo
from repository import inquiries as repo

router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])


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
        "status": CaseStatus.RECEIVED.value,
        "received_at": described.start_time,
        "unit": None,
        "timeline": [],
    }


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
