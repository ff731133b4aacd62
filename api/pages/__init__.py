"""The browser pages: citizen pages without login, the staff console behind a cookie session.

To add a page: in a module here make `router = page_router()` (api.pages.web), take the caller
with `staff: PageStaff` or `Depends(page_role(...))` (api.pages.session), answer with
`render(request, "folder/name.html", **context)` (templates extend "base.html"; texts come from
api.pages.texts as `t[key]`), and for a form's POST use `attempt(back, action, done_key)` or
`redirect(url, Flash(...))`. Every form includes `{{ csrf_field() }}` (macros.html): page routes
check it on every POST. Then list the module in ROUTERS below.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.pages import (
    account,
    actions,
    admin_accounts,
    admin_calendar,
    admin_changes,
    admin_directory,
    case_page,
    citizen,
    decisions,
    inbox,
    phone_intake,
    reports_page,
    supervision,
)
from api.pages.web import STATIC

ROUTERS = (
    account,
    citizen,
    inbox,
    actions,
    case_page,
    phone_intake,
    supervision,
    decisions,
    admin_directory,
    admin_changes,
    admin_calendar,
    admin_accounts,
    reports_page,
)


def install(app: FastAPI) -> None:
    """Mount the static files and every page router (none of them is in the OpenAPI schema)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
