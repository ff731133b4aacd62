"""The staff's reads of inquiries: the list and one inquiry, recorded or only just filed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.case import CaseStatus
from domain.ids import case_workflow_id
from repository import cases as case_repo
from repository import inquiries as repo
from service import inquiry_views as views
from service.errors import ServiceError
from service.inquiry_models import CitizenOut, InquiryDetail, InquirySummary, Page
from service.principals import Staff
from workflows.case import CaseInput, CaseWorkflow


async def search(
    pool: asyncpg.Pool,
    staff: Staff,
    *,
    status: CaseStatus | None,
    unit: str | None,
    category: str | None,
    channel: str | None,
    overdue: bool | None,
    received_from: datetime | None,
    received_to: datetime | None,
    limit: int,
    offset: int,
) -> Page:
    """Supervisors see every inquiry; handlers and unit heads those of their unit."""
    if staff.unit_bound:
        if unit is not None and unit != staff.unit_code:
            raise ServiceError(403, "forbidden", "you may list only your own unit's inquiries")
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
    items = [InquirySummary.model_validate(views.summary(r)) for r in rows]
    return Page(total=total.count, total_exact=total.exact, limit=limit, offset=offset, items=items)


async def detail(
    pool: asyncpg.Pool, temporal: Client, staff: Staff, *, inquiry_id: UUID
) -> InquiryDetail:
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
        if row is None:
            return await _being_recorded(temporal, inquiry_id, staff)
        if staff.unit_bound and row["unit_code"] is None:  # not routed yet: no unit's inquiry
            raise ServiceError(404, "not_found", "no such inquiry")
        if not staff.may_see_unit(row["unit_code"]):
            raise ServiceError(403, "forbidden", "this inquiry belongs to another unit")
        events = await repo.list_events(conn, inquiry_id=inquiry_id)
        escalations = await repo.list_escalations(conn, inquiry_id=inquiry_id)
        notices = await repo.list_notifications(conn, inquiry_id=inquiry_id)
        cohandling = await case_repo.cohandling(conn, inquiry_id=inquiry_id)
    feedback = [n for n in notices if n["audience"] == "citizen"]
    shown = views.detail(row, events=events, escalations=escalations, feedback=feedback)
    # 协办 units' input is part of the case, and so is each notice's delivery state.
    return InquiryDetail.model_validate(
        {
            **shown,
            "cohandling": [dict(c) for c in cohandling],
            "notices": [views.notice(n) for n in notices],
        }
    )


async def _being_recorded(temporal: Client, inquiry_id: UUID, staff: Staff) -> InquiryDetail:
    """Filed while PostgreSQL was down and not recorded yet: the workflow holds what was filed,
    and Temporal answers this without a worker."""
    if staff.unit_bound:  # not routed yet, so no unit may claim it
        raise ServiceError(404, "not_found", "no such inquiry")
    handle = temporal.get_workflow_handle_for(CaseWorkflow.run, case_workflow_id(str(inquiry_id)))
    try:
        started = None
        async for event in handle.fetch_history_events():
            started = event.workflow_execution_started_event_attributes
            break
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(404, "not_found", "no such inquiry") from exc
        raise
    if started is None:
        raise ServiceError(404, "not_found", "no such inquiry")
    [start] = await temporal.data_converter.decode(started.input.payloads, [CaseInput])
    filed = start.inquiry
    status = CaseStatus.RECEIVED.value
    return InquiryDetail(
        id=inquiry_id,
        tracking_code=filed.tracking_code,
        status=status,
        category=filed.category,
        channel=filed.channel,
        received_at=filed.received_at,
        content=filed.content,
        citizen=CitizenOut(
            name=filed.citizen.name, phone=filed.citizen.phone, email=filed.citizen.email
        ),
        address=filed.address,
        district=filed.district,
        external_ref=filed.external_ref,
        clocks_note=views.clocks_note(status),
    )
