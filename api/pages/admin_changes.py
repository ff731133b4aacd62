"""Changes that move open cases' due times, each previewed before it is applied: a category's
policy and a priority's targets here, the operator calendar in api.pages.admin_calendar.

The preview (service.change_preview) re-projects every affected open case's stored ledgers under
the proposal and says how many would change due time and how many would be overdue at once; it
changes nothing. "Apply" then calls the admin API's own handler, which stores the change and
tells the open cases to re-project."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from api.deps import IntakeChecks, Pool, Temporal
from api.pages.session import page_role
from api.pages.web import attempt, page_router, render
from api.routes import admin as admin_api
from api.schemas import CategoryPatch, PriorityTargetsIn
from domain.models import Role
from domain.reprojection import Preview
from service import change_preview
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/admin")
Admin = Annotated[Staff, Depends(page_role(Role.ADMIN))]
Text = Annotated[str, Form()]
POLICY_FIELDS = ("clock", "reply_within", "office_start", "office_end")


def filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def invalid(exc: ValueError) -> ServiceError:
    return ServiceError(422, "validation_error", str(exc).splitlines()[-1])


def _parse(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValueError as exc:
        raise invalid(exc) from None


def preview_page(
    request: Request,
    staff: Staff,
    preview: Preview,
    *,
    what: str,
    apply: str,
    fields: dict[str, str],
    back: str,
) -> HTMLResponse:
    return render(
        request,
        "console/admin_preview.html",
        staff=staff,
        preview=preview,
        what=what,
        apply=apply,
        fields=fields,
        back=back,
    )


# ---- a category's policy ----


@router.get("/categories/{code}/preview")
async def preview_policy(
    request: Request,
    code: str,
    pool: Pool,
    staff: Admin,
    clock: str = "",
    reply_within: str = "",
    office_start: str = "",
    office_end: str = "",
) -> HTMLResponse:
    fields = filled(
        {
            "clock": clock,
            "reply_within": reply_within,
            "office_start": office_start,
            "office_end": office_end,
        }
    )
    patch = _parse(CategoryPatch, fields)
    preview = await change_preview.policy_change(
        pool, category=code, fields=patch.model_dump(exclude_unset=True)
    )
    return preview_page(
        request,
        staff,
        preview,
        what=f"policy:{code}",
        apply=f"/console/admin/categories/{code}",
        fields=fields,
        back="/console/admin/categories",
    )


@router.post("/categories/{code}")
async def apply_policy(
    code: str,
    pool: Pool,
    temporal: Temporal,
    checks: IntakeChecks,
    staff: Admin,
    clock: Text = "",
    reply_within: Text = "",
    office_start: Text = "",
    office_end: Text = "",
) -> RedirectResponse:
    """The same handler as PATCH /api/v1/admin/categories/{code}: open cases re-project."""
    fields = filled(
        {
            "clock": clock,
            "reply_within": reply_within,
            "office_start": office_start,
            "office_end": office_end,
        }
    )
    return await attempt(
        "/console/admin/categories",
        lambda: admin_api.change_category(
            code, CategoryPatch.model_validate(fields), pool, temporal, checks, staff
        ),
        "done.applied",
    )


# ---- a priority's targets ----

Priority = Literal["normal", "urgent"]
TARGET_FIELDS = ("ack_within", "ack_repeat_minutes", "reply_within", "followup_days")


@router.get("/categories/{code}/priorities/{priority}/preview")
async def preview_targets(
    request: Request,
    code: str,
    priority: Priority,
    pool: Pool,
    staff: Admin,
    ack_within: str = "",
    ack_repeat_minutes: str = "",
    reply_within: str = "",
    followup_days: str = "",
) -> HTMLResponse:
    fields = filled(
        dict(
            zip(
                TARGET_FIELDS,
                (ack_within, ack_repeat_minutes, reply_within, followup_days),
                strict=True,
            )
        )
    )
    body = _parse(PriorityTargetsIn, fields)
    preview = await change_preview.policy_change(
        pool, category=code, priority=priority, fields=body.model_dump()
    )
    return preview_page(
        request,
        staff,
        preview,
        what=f"priority:{code}:{priority}",
        apply=f"/console/admin/categories/{code}/priorities/{priority}",
        fields=fields,
        back="/console/admin/categories",
    )


@router.post("/categories/{code}/priorities/{priority}")
async def apply_targets(
    code: str,
    priority: Priority,
    pool: Pool,
    temporal: Temporal,
    staff: Admin,
    ack_within: Text = "",
    ack_repeat_minutes: Text = "",
    reply_within: Text = "",
    followup_days: Text = "",
) -> RedirectResponse:
    """The same handler as PUT /api/v1/admin/categories/{code}/priorities/{priority}."""
    fields = filled(
        dict(
            zip(
                TARGET_FIELDS,
                (ack_within, ack_repeat_minutes, reply_within, followup_days),
                strict=True,
            )
        )
    )
    return await attempt(
        "/console/admin/categories",
        lambda: admin_api.set_priority_targets(
            code, priority, PriorityTargetsIn.model_validate(fields), pool, temporal, staff
        ),
        "done.applied",
    )
