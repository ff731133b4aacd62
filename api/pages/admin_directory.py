"""`/console/admin/…` for admins: units, categories with their SLA policies and priority
targets, routing rules with the "which unit would this inquiry go to?" tester.

Lists and writes go through the admin API's own handlers (api.routes.admin), so a page refuses
and re-projects exactly as PATCH/POST/PUT /api/v1/admin/… do. A policy change is previewed first
(api.pages.admin_preview)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Pool
from api.pages.session import page_role
from api.pages.web import attempt, page_router, redirect, render
from api.routes import admin as admin_api
from api.schemas import RuleIn, UnitIn
from domain.models import Role
from service import catalog
from service.principals import Staff
from service.routing_check import which_unit

router = page_router(prefix="/console/admin")
Admin = Annotated[Staff, Depends(page_role(Role.ADMIN))]
Text = Annotated[str, Form()]


@router.get("")
async def admin_index() -> RedirectResponse:
    return redirect("/console/admin/categories")


@router.get("/units")
async def units(request: Request, pool: Pool, staff: Admin) -> HTMLResponse:
    rows = await admin_api.list_units(pool, staff)
    return render(request, "console/admin_units.html", staff=staff, units=rows)


@router.post("/units")
async def add_unit(
    pool: Pool, staff: Admin, code: Text, name: Text, name_zh: Text = "", duty_24h: Text = ""
) -> RedirectResponse:
    body = {"code": code, "name": name, "name_zh": name_zh, "duty_24h": bool(duty_24h)}
    return await attempt(
        "/console/admin/units",
        lambda: admin_api.create_unit(UnitIn.model_validate(body), pool, staff),
        "done.saved",
    )


@router.get("/categories")
async def categories(request: Request, pool: Pool, staff: Admin) -> HTMLResponse:
    rows = await admin_api.list_categories(pool, staff)
    urgent = {}
    for row in rows:
        targets = await admin_api.list_priority_targets(row.code, pool, staff)
        urgent[row.code] = next((p for p in targets if p.priority == "urgent"), None)
    return render(
        request, "console/admin_categories.html", staff=staff, categories=rows, urgent=urgent
    )


@router.get("/rules")
async def rules(
    request: Request,
    pool: Pool,
    staff: Admin,
    category: str = "",
    district: str = "",
    content: str = "",
) -> HTMLResponse:
    """The rules in the order they are tried, and the tester's answer for the given inquiry."""
    decision = None
    if category or content:
        decision = await which_unit(
            pool, category=category, district=district or None, content=content
        )
    return render(
        request,
        "console/admin_rules.html",
        staff=staff,
        rules=await admin_api.list_rules(pool, staff),
        units=await catalog.active_units(pool),
        categories=await catalog.active_categories(pool),
        probe={"category": category, "district": district, "content": content},
        decision=decision,
    )


@router.post("/rules")
async def add_rule(
    pool: Pool,
    staff: Admin,
    name: Text,
    priority: Text,
    unit_code: Text,
    category: Text = "",
    district: Text = "",
    keywords: Text = "",
) -> RedirectResponse:
    body: dict[str, Any] = {
        "name": name,
        "priority": priority,
        "unit_code": unit_code,
        "category": category or None,
        "district": district or None,
        "keywords": [w for w in keywords.replace("，", ",").split(",") if w.strip()],
    }
    return await attempt(
        "/console/admin/rules",
        lambda: admin_api.create_rule(RuleIn.model_validate(body), pool, staff),
        "done.saved",
    )
