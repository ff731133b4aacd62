"""`/console/intake`: the operator files a call (channel, 现场解答, urgent priority) through the
same intake service as POST /api/v1/inquiries, then finds open cases of the same event by
address, content or phone and merges the new case into one (并单, the case service's merge)."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.case_schemas import MergeIn
from api.deps import AppSettings, Cases, IntakeChecks, Pool, Temporal, actor_of
from api.pages.session import page_role
from api.pages.web import Flash, attempt, page_router, redirect, render
from domain.models import Channel, Role
from service import case_search, catalog
from service import inquiries as reads
from service.errors import ServiceError
from service.inquiry_models import InquiryCreate
from service.intake import file_inquiry
from service.principals import Staff

router = page_router(prefix="/console/intake")
Operator = Annotated[Staff, Depends(page_role(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN))]
Text = Annotated[str, Form()]
FIELDS = ("channel", "category", "content", "address", "district", "name", "phone", "email")


async def _form(
    request: Request,
    pool: Pool,
    staff: Staff,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    found: list[asyncpg.Record] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "console/intake.html",
        status=status,
        staff=staff,
        channels=[c.value for c in Channel],
        categories=await catalog.active_categories(pool),
        values=values or {"channel": Channel.HOTLINE.value},
        errors=errors or [],
        found=found,
        submission_id=uuid.uuid4().hex,  # the Idempotency-Key: a double submit files once
    )


@router.get("")
async def intake_page(
    request: Request, pool: Pool, staff: Operator, q: str = "", phone: str = ""
) -> HTMLResponse:
    """The form, and (with q or phone) the open cases that match, to look before filing."""
    found = await case_search.open_cases(pool, text=q, phone=phone) if q or phone else None
    return await _form(request, pool, staff, found=found, values={"q": q, "phone": phone})


@router.post("", response_model=None)
async def file_call(
    request: Request,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    checks: IntakeChecks,
    staff: Operator,
    channel: Text,
    category: Text,
    content: Text,
    submission_id: Text,
    address: Text = "",
    district: Text = "",
    name: Text = "",
    phone: Text = "",
    email: Text = "",
    answered_on_site: Text = "",
    urgent: Text = "",
) -> HTMLResponse | RedirectResponse:
    """受理 by phone: on to the filed case and the open cases it may belong to."""
    values = dict(
        zip(
            FIELDS, (channel, category, content, address, district, name, phone, email), strict=True
        )
    ) | {"answered_on_site": answered_on_site, "urgent": urgent}
    try:
        body = InquiryCreate(
            channel=channel,
            category=category,
            content=content,
            address=address or None,
            district=district or None,
            citizen={"name": name or None, "phone": phone or None, "email": email or None},
            priority="urgent" if urgent else "normal",
            answered_on_site=answered_on_site or None,
        )
        filed = await file_inquiry(
            pool,
            temporal,
            checks,
            task_queue=settings.task_queue,
            caller=staff,
            body=body,
            idempotency_key=submission_id[:200] or None,
        )
    except ValidationError as exc:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return await _form(request, pool, staff, status=422, errors=errors, values=values)
    except ServiceError as exc:
        return await _form(
            request, pool, staff, status=exc.status, errors=[exc.message], values=values
        )
    return redirect(f"/console/intake/{filed.inquiry_id}", Flash("done.filed", filed.tracking_code))


@router.get("/{inquiry_id}")
async def filed_call(
    request: Request,
    inquiry_id: UUID,
    pool: Pool,
    temporal: Temporal,
    staff: Operator,
    q: str | None = None,
    phone: str | None = None,
) -> HTMLResponse:
    """The case just filed and the open cases of the same address or phone (or the search's)."""
    case = await reads.detail(pool, temporal, staff, inquiry_id=inquiry_id)
    text = (case.address or "") if q is None else q
    number = (case.citizen.phone or "") if phone is None else phone
    found = await case_search.open_cases(pool, text=text, phone=number, excluding=inquiry_id)
    return render(
        request,
        "console/intake_filed.html",
        staff=staff,
        case=case,
        found=found,
        q=text,
        phone=number,
    )


@router.post("/{inquiry_id}/merge")
async def merge(
    inquiry_id: UUID, cases: Cases, staff: Operator, main_inquiry_id: Text
) -> RedirectResponse:
    """并单: the case just filed follows the chosen open case (POST …/{id}/merge)."""
    return await attempt(
        f"/console/intake/{inquiry_id}",
        lambda: cases.merge(
            inquiry_id,
            MergeIn.model_validate({"main_inquiry_id": main_inquiry_id}).action(actor_of(staff)),
        ),
        "done.merge",
    )
