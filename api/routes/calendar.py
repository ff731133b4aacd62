"""The operator calendar for admins: holidays and make-up working days on top of chinesecalendar.

Every change is recorded in calendar_changes and told to the open case workflows (v2 on), which
re-project their due times. The change is committed before any workflow is told.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from api.deps import Pool, Staff, Temporal, require_role
from api.errors import ApiError, error_responses
from api.schemas import CalendarDayOut
from domain.models import Role
from repository import Conn
from repository import calendar as calendar_repo
from service import calendar_audit, reproject

router = APIRouter(
    prefix="/api/v1/admin/calendar", tags=["admin"], responses=error_responses(401, 403, 422)
)
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 400  # a whole year of overrides in one request, with room to spare

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _check_day(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return day


def _check_days(days: list[date]) -> None:
    for day in days:
        _check_day(day)
    repeated = sorted(d.isoformat() for d, n in Counter(days).items() if n > 1)
    if repeated:
        raise ValueError(f"each day may appear once; repeated: {', '.join(repeated)}")


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    working: StrictBool = Field(
        description="false: a holiday (节假日); true: a make-up working day (调休上班)"
    )
    note: Note = ""


class CalendarSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[CalendarDayIn] = Field(min_length=1, max_length=MAX_DAYS)
    reason: Reason = ""

    @model_validator(mode="after")
    def _unique(self) -> CalendarSet:
        _check_days([d.day for d in self.days])
        return self


class CalendarRemove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[date] = Field(min_length=1, max_length=MAX_DAYS)
    reason: Reason = ""

    @model_validator(mode="after")
    def _unique(self) -> CalendarRemove:
        _check_days(self.days)
        return self


class CalendarChanged(BaseModel):
    changed: int
    cases_notified: int
    cases_unreached: int = Field(
        0, description="open cases Temporal could not be reached for; the calendar is stored"
    )


@router.get("")
async def list_calendar(
    pool: Pool,
    _: Admin,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
) -> list[CalendarDayOut]:
    """The overrides, in day order; chinesecalendar's own days are not listed."""
    async with pool.acquire() as conn:
        rows = await calendar_repo.list_days(conn, year=year)
    return [CalendarDayOut.model_validate(dict(r)) for r in rows]


@router.put("")
async def set_calendar(
    body: CalendarSet, pool: Pool, temporal: Temporal, staff: Admin
) -> CalendarChanged:
    """Create or replace overrides in one transaction, record the change, tell open cases."""
    days = {d.day: (d.working, d.note) for d in body.days}
    async with pool.acquire() as conn, conn.transaction():
        before = await _days_as_set(conn, list(days))
        changed = await calendar_repo.set_days(conn, days=days, updated_by=staff.username)
        change_id = await calendar_repo.record_change(
            conn, changed_by=staff.username, days=list(days), reason=body.reason
        )
        await _audit(conn, staff, "calendar.set", before, await _days_as_set(conn, list(days)))
    told, unreached = await reproject.announce(
        pool, temporal, change_id=change_id, days=list(days), reason=body.reason
    )
    return CalendarChanged(changed=changed, cases_notified=told, cases_unreached=unreached)


@router.delete("", responses=error_responses(404))
async def remove_from_calendar(
    body: CalendarRemove, pool: Pool, temporal: Temporal, staff: Admin
) -> CalendarChanged:
    """Remove overrides (the day follows chinesecalendar again); 404 if none of them existed."""
    async with pool.acquire() as conn, conn.transaction():
        before = await _days_as_set(conn, body.days)
        removed = await calendar_repo.delete_days(conn, days=body.days)
        if not removed:
            raise ApiError(404, "not_found", "none of these days has an override")
        change_id = await calendar_repo.record_change(
            conn, changed_by=staff.username, days=removed, reason=body.reason
        )
        await _audit(conn, staff, "calendar.remove", before, await _days_as_set(conn, body.days))
    told, unreached = await reproject.announce(
        pool, temporal, change_id=change_id, days=removed, reason=body.reason
    )
    return CalendarChanged(changed=len(removed), cases_notified=told, cases_unreached=unreached)


async def _days_as_set(conn: Conn, days: list[date]) -> dict[str, Any]:
    return await calendar_audit.days_as_set(conn, days)


async def _audit(
    conn: Conn, staff: Staff, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    await calendar_audit.record(
        conn, actor=staff.username, action=action, before=before, after=after
    )
