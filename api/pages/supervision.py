"""`/console/supervision`: the office's and supervisors' dashboard. The overdue list (the same
read as GET /api/v1/supervision/overdue), the cases waiting for a decision with the decision
forms, open cases by unit × status and the cases received per day. /static/live.js polls
`/console/supervision/live` and swaps the fresh sections in, so the page updates by itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import Pool
from api.pages import charts
from api.pages.present import span
from api.pages.session import PageStaff
from api.pages.texts import Texts
from api.pages.web import lang_of, page_router, render
from service import catalog, supervision
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/supervision")
REFRESH_MS = 5000


async def office_staff(staff: PageStaff) -> Staff:
    """Supervisors, admins and the open-affairs office's own staff (domain.case.Actor.office)."""
    if not staff.actor.office:
        raise ServiceError(403, "forbidden", "this page is for the office and supervisors")
    return staff


Office = Annotated[Staff, Depends(office_staff)]


async def _sections(request: Request, pool: Pool) -> dict[str, Any]:
    t = Texts(lang_of(request))
    overdue = await supervision.overdue(pool, limit=100)
    counts = await supervision.by_unit_and_status(pool)
    trend = await supervision.received_trend(pool)
    return {
        "overdue": [{"row": r, "late": span(r["overdue_seconds"], t)} for r in overdue],
        "decisions": await supervision.waiting_for_decision(pool),
        "counts": counts,
        "trend": charts.trend(trend, t["sup.trend"]),
        "trend_total": sum(n for _, n in trend),
        "units": await catalog.active_units(pool),
        "as_of": datetime.now(UTC),
    }


@router.get("")
async def dashboard(request: Request, pool: Pool, staff: Office) -> HTMLResponse:
    return render(
        request,
        "console/supervision.html",
        staff=staff,
        refresh_ms=REFRESH_MS,
        **await _sections(request, pool),
    )


@router.get("/live")
async def live(request: Request, pool: Pool, staff: Office) -> HTMLResponse:
    """The page's sections alone, for live.js to swap in."""
    return render(
        request, "console/_supervision_live.html", staff=staff, **await _sections(request, pool)
    )
