"""`/console`: the caller's inbox, soonest due first, with the actions right on each row."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import Pool
from api.pages.actions import RETURN_REASONS, offered
from api.pages.session import PageStaff
from api.pages.web import page_router, render
from service import work

router = page_router()


@router.get("/console")
async def inbox(request: Request, pool: Pool, staff: PageStaff) -> HTMLResponse:
    """The same read as GET /api/v1/tasks; the office roles see every unit's open tasks."""
    rows = await work.inbox(pool, staff)
    items = [
        {
            "task": row,
            "actions": offered(
                staff,
                status=row["status"],
                unit=row["unit_code"] if row["kind"] != "cohandling" else None,
                task_kind=row["kind"],
                task_unit=row["unit_code"],
            ),
        }
        for row in rows
    ]
    return render(
        request,
        "console/inbox.html",
        staff=staff,
        items=items,
        reasons=RETURN_REASONS,
    )
