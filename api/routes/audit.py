"""The audit log for admins: every admin change, newest first, with filters and paging."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Pool, Staff, require_role
from api.errors import error_responses
from api.paging import Limit, Offset
from domain.models import Role
from repository import audit

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]
Filter = Annotated[str | None, Query(max_length=200)]


class AuditEntry(BaseModel):
    id: int
    actor: str
    action: str
    target_type: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEntry]


@router.get("/audit", responses=error_responses(401, 403, 422))
async def audit_log(
    pool: Pool,
    _: Admin,
    actor: Filter = None,
    target_type: Filter = None,
    target: Filter = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Who changed what and when, with the row before and after (no secrets)."""
    async with pool.acquire() as conn:
        total, rows = await audit.entries(
            conn,
            actor=actor,
            target_type=target_type,
            target=target,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    items = [AuditEntry.model_validate(dict(r)) for r in rows]
    return AuditPage(total=total, limit=limit, offset=offset, items=items)
