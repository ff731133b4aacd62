"""The unit's open tasks and the supervisors' overdue list (reads of the projection)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Pool, Staff, require_role
from api.errors import error_responses
from api.paging import Offset
from domain.models import Role
from service import work
from service.inquiry_models import TOTAL_EXACT

router = APIRouter(prefix="/api/v1", tags=["work"])


class TaskOut(BaseModel):
    task_id: int
    kind: str  # reply | decision | cohandling | …
    due_at: datetime | None
    created_at: datetime
    inquiry_id: UUID
    tracking_code: str
    category: str
    channel: str
    content: str
    address: str | None
    district: str | None
    escalation_level: int
    status: str
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    paused: bool


class TasksOut(BaseModel):
    unit: str | None
    total: int
    total_exact: bool = TOTAL_EXACT
    limit: int
    offset: int
    items: list[TaskOut]


class OverdueOut(BaseModel):
    id: UUID
    tracking_code: str
    category: str
    channel: str
    unit_code: str | None
    status: str
    reply_due_at: datetime
    escalation_level: int
    overdue_seconds: int


class OverduePage(BaseModel):
    total: int
    total_exact: bool = TOTAL_EXACT
    limit: int
    offset: int
    items: list[OverdueOut]


@router.get("/tasks", response_model=TasksOut, responses=error_responses(401, 403))
async def open_tasks(
    pool: Pool,
    staff: Annotated[Staff, Depends(require_role(Role.HANDLER, Role.UNIT_HEAD))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TasksOut:
    """One page of the open tasks of the caller's unit, soonest due first, with their total."""
    total, rows = await work.task_page(
        pool, unit_code=staff.unit_code or "", limit=limit, offset=offset
    )
    items = [TaskOut.model_validate(dict(r)) for r in rows]
    return TasksOut(
        unit=staff.unit_code,
        total=total.count,
        total_exact=total.exact,
        limit=limit,
        offset=offset,
        items=items,
    )


@router.get("/supervision/overdue", response_model=OverduePage, responses=error_responses(401, 403))
async def overdue(
    pool: Pool,
    _: Annotated[Staff, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))],
    unit: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> OverduePage:
    """Open inquiries past their reply deadline, most overdue first."""
    total, rows = await work.overdue_page(pool, unit=unit, limit=limit, offset=offset)
    items = [OverdueOut.model_validate(dict(r)) for r in rows]
    return OverduePage(
        total=total.count, total_exact=total.exact, limit=limit, offset=offset, items=items
    )
