"""Cases that need a person (supervisors): a workflow failed, or an activity keeps failing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import AppSettings, Staff, Temporal, require_role
from api.errors import error_responses
from domain.models import Role
from service.stuck import STUCK_AFTER_ATTEMPTS, stuck_cases

router = APIRouter(prefix="/api/v1/supervision", tags=["work"])


class StuckCaseOut(BaseModel):
    inquiry_id: str
    workflow_id: str
    workflow_type: str
    state: Literal["failing", "failed"]  # an activity keeps failing / the workflow failed
    activity: str | None
    attempt: int | None
    failure: str | None
    since: datetime | None


class StuckCasesOut(BaseModel):
    min_attempts: int
    items: list[StuckCaseOut]


@router.get("/stuck", response_model=StuckCasesOut, responses=error_responses(401, 403, 503))
async def stuck(
    temporal: Temporal,
    settings: AppSettings,
    _: Annotated[Staff, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))],
    min_attempts: Annotated[int, Query(ge=2, le=1000)] = STUCK_AFTER_ATTEMPTS,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StuckCasesOut:
    """Cases whose workflow has an activity at its min_attempts-th try or later, then cases
    whose workflow failed (a permanent fault: the data was refused)."""
    found = await stuck_cases(
        temporal, task_queue=settings.task_queue, min_attempts=min_attempts, limit=limit
    )
    items = [StuckCaseOut.model_validate(s, from_attributes=True) for s in found]
    return StuckCasesOut(min_attempts=min_attempts, items=items)
