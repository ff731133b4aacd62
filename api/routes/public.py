"""The citizen's view by tracking code, no login; nothing staff-only leaves here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import views
from api.actions import case_action
from api.case_schemas import RatingIn, SupplementIn
from api.deps import Pool, Temporal
from api.errors import ApiError
from api.schemas import PublicInquiry
from domain.case import Rating, Supplement
from repository import inquiries as repo

router = APIRouter(prefix="/api/v1/public", tags=["public"])


@router.get("/inquiries/{tracking_code}")
async def track(tracking_code: Annotated[str, Path(max_length=32)], pool: Pool) -> PublicInquiry:
    async with pool.acquire() as conn:
        row = await repo.get_by_tracking_code(conn, code=tracking_code.strip().upper())
        if row is None:
            raise ApiError(404, "not_found", "no inquiry has this tracking code")
        sent = [
            n["sent_at"]
            for n in await repo.list_notifications(conn, inquiry_id=row["id"], audience="citizen")
            if n["sent_at"] is not None and n["kind"] == "feedback"
        ]
    return PublicInquiry(**views.public(row, feedback_sent_at=sent[0] if sent else None))


async def _citizens_case(pool: Pool, tracking_code: str) -> str:
    async with pool.acquire() as conn:
        row = await repo.get_by_tracking_code(conn, code=tracking_code.strip().upper())
    if row is None:
        raise ApiError(404, "not_found", "no inquiry has this tracking code")
    if row["workflow_version"] < 2:
        raise ApiError(409, "wrong_state", "this inquiry takes no answers here")
    return str(row["id"])


@router.post("/inquiries/{tracking_code}/supplement")
async def supplement(
    tracking_code: Annotated[str, Path(max_length=32)],
    body: SupplementIn,
    pool: Pool,
    temporal: Temporal,
) -> dict[str, str]:
    """补正: the citizen answers the unit's question; the reply clock runs again."""
    inquiry_id = await _citizens_case(pool, tracking_code)
    state = await case_action(
        temporal, inquiry_id, "supplement", Supplement(body.content, "citizen")
    )
    return {"tracking_code": tracking_code.upper(), "status": state["status"]}


@router.post("/inquiries/{tracking_code}/rating")
async def rate(
    tracking_code: Annotated[str, Path(max_length=32)],
    body: RatingIn,
    pool: Pool,
    temporal: Temporal,
) -> dict[str, str]:
    """回访: the citizen rates the answer (满意 / 基本满意 / 不满意)."""
    inquiry_id = await _citizens_case(pool, tracking_code)
    state = await case_action(
        temporal, inquiry_id, "rate", Rating(body.rating, by="citizen", comment=body.comment)
    )
    return {"tracking_code": tracking_code.upper(), "status": state["status"]}
