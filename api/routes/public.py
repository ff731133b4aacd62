"""The citizen's view by tracking code, no login; nothing staff-only leaves here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import views
from api.deps import Pool
from api.errors import ApiError
from api.schemas import PublicInquiry
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
            if n["sent_at"] is not None
        ]
    return PublicInquiry(**views.public(row, feedback_sent_at=sent[0] if sent else None))
