"""`/console/cases/{id}`: the case's contents, the citizen's contact (masked unless the caller
needs it: service.principals.Staff.may_see_contact), the timeline, the SLA bars and the actions."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import Cases, Pool, Temporal
from api.pages import sla_bar
from api.pages.actions import RETURN_REASONS, offered
from api.pages.session import PageStaff
from api.pages.texts import Texts
from api.pages.web import lang_of, page_router, render
from domain.privacy import mask_email, mask_name, mask_phone
from service import inquiries as reads
from service.inquiry_models import CitizenOut, InquiryDetail

router = page_router()


def _contact(detail: InquiryDetail, shown_in_full: bool) -> CitizenOut:
    if shown_in_full:
        return detail.citizen
    c = detail.citizen
    return CitizenOut(name=mask_name(c.name), phone=mask_phone(c.phone), email=mask_email(c.email))


@router.get("/console/cases/{inquiry_id}")
async def case_page(
    request: Request,
    inquiry_id: UUID,
    pool: Pool,
    temporal: Temporal,
    cases: Cases,
    staff: PageStaff,
) -> HTMLResponse:
    """The same reads as GET /api/v1/inquiries/{id} and …/sla."""
    detail = await reads.detail(pool, temporal, staff, inquiry_id=inquiry_id)
    report = await cases.sla(inquiry_id, staff)
    steps = [e.model_dump() for e in detail.escalations]
    cohandling_open = any(
        co.unit_code == staff.unit_code and co.status == "open" for co in detail.cohandling
    )
    actions = offered(
        staff,
        status=detail.status,
        unit=detail.unit,
        task_kind="cohandling" if cohandling_open else "reply",
        task_unit=staff.unit_code if cohandling_open else detail.unit,
    )
    return render(
        request,
        "console/case.html",
        staff=staff,
        case=detail,
        contact=_contact(detail, staff.may_see_contact(detail.unit)),
        contact_masked=not staff.may_see_contact(detail.unit),
        sla=sla_bar.bars(report, steps, Texts(lang_of(request))),
        sla_note=report.note,
        actions=actions,
        reasons=RETURN_REASONS,
    )
