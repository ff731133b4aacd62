"""The citizen's pages, no login: file an inquiry on `/`, follow it on `/track/{code}`.

Filing goes through the same intake service as POST /api/v1/inquiries, as the site's own form
(principal "key:web-form", channel web); tracking, 补正 and rating through the case service's
citizen methods. Lookups and forms are rate-limited per client.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.case_schemas import RatingIn, SupplementIn
from api.deps import AppSettings, Cases, IntakeChecks, IntakeClient, Pool, Temporal
from api.pages.web import attempt, page_router, redirect, render
from api.ratelimit import RateLimited
from service import catalog
from service import inquiry_views as views
from service.errors import ServiceError
from service.inquiry_models import InquiryCreate
from service.intake import file_inquiry

router = page_router()

WEB_FORM = IntakeClient(name="web-form", channel="web")  # the site's own form, no key needed
CITIZEN = "citizen"
OptionalText = Annotated[str, Form()]


async def _intake_form(
    request: Request,
    pool: Pool,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    **values: str,
) -> HTMLResponse:
    categories = await catalog.active_categories(pool)
    return render(
        request,
        "citizen/intake.html",
        status=status,
        categories=categories,
        values=values,
        errors=errors or [],
        submission_id=uuid.uuid4().hex,  # the Idempotency-Key: a double submit files once
    )


@router.get("/")
async def intake_page(request: Request, pool: Pool) -> HTMLResponse:
    return await _intake_form(request, pool)


@router.post("/", dependencies=[RateLimited])
async def file_on_site(
    request: Request,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    checks: IntakeChecks,
    category: OptionalText,
    content: OptionalText,
    submission_id: OptionalText,
    address: OptionalText = "",
    district: OptionalText = "",
    name: OptionalText = "",
    phone: OptionalText = "",
    email: OptionalText = "",
) -> HTMLResponse:
    """受理 from the website: a confirmation with the tracking code, or the form again."""
    values = {"category": category, "content": content, "address": address}
    values |= {"district": district, "name": name, "phone": phone, "email": email}
    try:
        body = InquiryCreate(
            category=category,
            content=content,
            address=address or None,
            district=district or None,
            citizen={"name": name or None, "phone": phone or None, "email": email or None},
        )
        filed = await file_inquiry(
            pool,
            temporal,
            checks,
            task_queue=settings.task_queue,
            caller=WEB_FORM,
            body=body,
            idempotency_key=submission_id[:200] or None,
        )
    except ValidationError as exc:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return await _intake_form(request, pool, status=422, errors=errors, **values)
    except ServiceError as exc:
        return await _intake_form(request, pool, status=exc.status, errors=[exc.message], **values)
    return render(request, "citizen/filed.html", status=201, code=filed.tracking_code)


@router.get("/track")
async def track_lookup(code: str = "") -> RedirectResponse:
    """The lookup form's target: on to the case's own address."""
    code = "".join(ch for ch in code if ch.isalnum())[:32]
    return redirect(f"/track/{code.upper()}" if code else "/")


@router.get("/track/{tracking_code}", dependencies=[RateLimited])
async def track(request: Request, tracking_code: str, cases: Cases) -> HTMLResponse:
    """The case as the citizen may see it (service.inquiry_views.public: nothing staff-only)."""
    seen = await cases.citizen_view(tracking_code[:32])
    case = views.public(seen.row, feedback_sent_at=seen.feedback_sent_at, question=seen.question)
    return render(request, "citizen/track.html", case=case)


@router.post("/track/{tracking_code}/supplement", dependencies=[RateLimited])
async def supplement(tracking_code: str, cases: Cases, content: OptionalText) -> RedirectResponse:
    """补正: the citizen answers the unit's question; the reply clock runs again."""
    code = tracking_code[:32]
    return await attempt(
        f"/track/{code}",
        lambda: cases.citizen_supplement(code, SupplementIn(content=content).action(CITIZEN)),
        "done.supplement",
    )


@router.post("/track/{tracking_code}/rating", dependencies=[RateLimited])
async def rate(
    tracking_code: str, cases: Cases, rating: OptionalText, comment: OptionalText = ""
) -> RedirectResponse:
    """回访: 满意 / 基本满意 / 不满意, with an optional comment."""
    code = tracking_code[:32]
    return await attempt(
        f"/track/{code}",
        lambda: cases.citizen_rating(
            code, RatingIn.model_validate({"rating": rating, "comment": comment}).action(CITIZEN)
        ),
        "done.rating",
    )
