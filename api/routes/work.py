"""The unit's open tasks and the supervisors' overdue list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import Pool, Staff, require_role
from domain.models import Role
from repository import inquiries as repo

router = APIRouter(prefix="/api/v1", tags=["work"])


@router.get("/tasks")
async def open_tasks(
    pool: Pool, staff: Annotated[Staff, Depends(require_role(Role.HANDLER, Role.UNIT_HEAD))]
) -> dict[str, Any]:
    async with pool.acquire() as conn:
        rows = await repo.open_tasks(conn, unit_code=staff.unit_code or "")
    items = [{**dict(r), "inquiry_id": str(r["inquiry_id"])} for r in rows]
    return {"unit": staff.unit_code, "items": items}


@router.get("/supervision/overdue")
async def overdue(
    pool: Pool,
    _: Annotated[Staff, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))],
    unit: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Open inquiries past their reply deadline, most overdue first."""
    async with pool.acquire() as conn:
        rows = await repo.overdue_inquiries(conn, unit=unit, limit=limit, offset=offset)
    items = [{**dict(r), "id": str(r["id"])} for r in rows]
    return {"limit": limit, "offset": offset, "items": items}
