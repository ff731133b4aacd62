"""`/console/admin/calendar`: the operator calendar by year, and a change of days (holidays,
make-up working days, or an override removed) previewed before it is applied, like a policy
change (api.pages.admin_changes): the preview counts the open cases whose due time would move
and those overdue at once; "apply" calls the handlers of PUT/DELETE /api/v1/admin/calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Pool, Temporal
from api.pages.admin_changes import filled, invalid, preview_page
from api.pages.session import page_role
from api.pages.web import Flash, attempt, page_router, redirect, render
from api.routes import calendar as calendar_api
from domain.models import Role
from service import change_preview
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/admin")
Admin = Annotated[Staff, Depends(page_role(Role.ADMIN))]
Text = Annotated[str, Form()]
MAX_RANGE = 60  # days in one calendar change from this page


Kind = Literal["holiday", "working", "remove"]


def _days(first: date, last: date | None) -> list[date]:
    last = last or first
    if last < first or (last - first).days >= MAX_RANGE:
        raise ServiceError(422, "validation_error", f"give 1 to {MAX_RANGE} days, first to last")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@router.get("/calendar")
async def calendar(
    request: Request, pool: Pool, staff: Admin, year: int | None = None
) -> HTMLResponse:
    """The overrides of a year (chinesecalendar's own days are not listed) and the change form."""
    chosen = year or date.today().year
    days = await calendar_api.list_calendar(pool, staff, chosen)
    return render(request, "console/admin_calendar.html", staff=staff, year=chosen, days=days)


@router.get("/calendar/preview")
async def preview_calendar(
    request: Request,
    pool: Pool,
    staff: Admin,
    first: date,
    kind: Kind,
    last: str = "",
    note: str = "",
) -> HTMLResponse:
    try:
        days = _days(first, date.fromisoformat(last) if last else None)
    except ValueError as exc:
        raise invalid(exc) from None
    if kind == "remove":
        preview = await change_preview.calendar_change(pool, set_days={}, remove_days=days)
    else:
        working = kind == "working"
        preview = await change_preview.calendar_change(pool, set_days=dict.fromkeys(days, working))
    fields = filled(
        {
            "first": first.isoformat(),
            "last": days[-1].isoformat(),
            "kind": kind,
            "note": note,
        }
    )
    return preview_page(
        request,
        staff,
        preview,
        what=f"calendar:{kind}",
        apply="/console/admin/calendar",
        fields=fields,
        back=f"/console/admin/calendar?year={first.year}",
    )


@router.post("/calendar")
async def apply_calendar(
    pool: Pool,
    temporal: Temporal,
    staff: Admin,
    first: Text,
    kind: Text,
    last: Text = "",
    note: Text = "",
) -> RedirectResponse:
    """The same handlers as PUT and DELETE /api/v1/admin/calendar: open cases re-project."""
    try:
        start = date.fromisoformat(first)
        days = _days(start, date.fromisoformat(last) if last else None)
    except ValueError as exc:
        return redirect("/console/admin/calendar", Flash.refused(invalid(exc)))
    back = f"/console/admin/calendar?year={start.year}"
    if kind == "remove":
        return await attempt(
            back,
            lambda: calendar_api.remove_from_calendar(
                calendar_api.CalendarRemove(days=days, reason=note), pool, temporal, staff
            ),
            "done.applied",
        )
    entries = [{"day": d, "working": kind == "working", "note": note} for d in days]
    return await attempt(
        back,
        lambda: calendar_api.set_calendar(
            calendar_api.CalendarSet.model_validate({"days": entries, "reason": note}),
            pool,
            temporal,
            staff,
        ),
        "done.applied",
    )
