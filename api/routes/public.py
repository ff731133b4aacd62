"""The citizen's view by tracking code, no login; nothing staff-only leaves here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.case_schemas import CitizenActionOut, RatingIn, SupplementIn
from api.deps import Cases
from api.errors import error_responses
from api.ratelimit import RateLimited
from service import inquiry_views as views
from service.inquiry_models import PublicInquiry

router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[RateLimited])

TrackingCode = Annotated[str, Path(max_length=32)]
CITIZEN = "citizen"


@router.get(
    "/inquiries/{tracking_code}", response_model=PublicInquiry, responses=error_responses(404, 429)
)
async def track(tracking_code: TrackingCode, cases: Cases) -> PublicInquiry:
    """Status, due time, the reply and when feedback was sent; the contact masked."""
    seen = await cases.citizen_view(tracking_code)
    shown = views.public(seen.row, feedback_sent_at=seen.feedback_sent_at, question=seen.question)
    return PublicInquiry(**shown)


@router.post(
    "/inquiries/{tracking_code}/supplement",
    response_model=CitizenActionOut,
    responses=error_responses(404, 409, 422, 429, 503),
)
async def supplement(
    tracking_code: TrackingCode, body: SupplementIn, cases: Cases
) -> CitizenActionOut:
    """补正: the citizen answers the unit's question; the reply clock runs again."""
    state = await cases.citizen_supplement(tracking_code, body.action(CITIZEN))
    return CitizenActionOut(tracking_code=tracking_code.upper(), status=state.status)


@router.post(
    "/inquiries/{tracking_code}/rating",
    response_model=CitizenActionOut,
    responses=error_responses(404, 409, 422, 429, 503),
)
async def rate(tracking_code: TrackingCode, body: RatingIn, cases: Cases) -> CitizenActionOut:
    """回访: the citizen rates the answer (满意 / 基本满意 / 不满意)."""
    state = await cases.citizen_rating(tracking_code, body.action(CITIZEN))
    return CitizenActionOut(tracking_code=tracking_code.upper(), status=state.status)
