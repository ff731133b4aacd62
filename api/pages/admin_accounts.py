"""`/console/admin/users` and `/console/admin/keys`: staff accounts and intake keys, listed and
added with the same rules as the `inquiry user add` and `inquiry intake-key add` commands
(service.accounts). A new key is shown once, on the answer to the form, and never again."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import IntakeChecks, Pool
from api.pages.session import page_role
from api.pages.web import Flash, attempt, page_router, redirect, render
from api.security import hash_intake_key, hash_password, new_intake_key
from domain.models import Channel, Role
from service import accounts, catalog
from service.principals import Staff

router = page_router(prefix="/console/admin")
Admin = Annotated[Staff, Depends(page_role(Role.ADMIN))]
Text = Annotated[str, Form(max_length=200)]


@router.get("/users")
async def users(request: Request, pool: Pool, staff: Admin) -> HTMLResponse:
    return render(
        request,
        "console/admin_users.html",
        staff=staff,
        users=await accounts.users(pool),
        roles=[r.value for r in Role],
        units=await catalog.active_units(pool),
    )


@router.post("/users")
async def add_user(
    pool: Pool, staff: Admin, username: Text, role: Text, password: Text, unit_code: Text = ""
) -> RedirectResponse:
    async def create() -> None:
        async with pool.acquire() as conn:
            await accounts.add_user(
                conn,
                username=username.strip(),
                role=role,
                unit_code=unit_code or None,
                password=password,
                hash_password=hash_password,
            )

    return await attempt("/console/admin/users", create, "done.saved")


async def _keys_page(
    request: Request, pool: Pool, staff: Staff, *, status: int = 200, new_key: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "console/admin_keys.html",
        status=status,
        staff=staff,
        keys=await accounts.intake_keys(pool),
        channels=[c.value for c in Channel],
        new_key=new_key,
    )


@router.get("/keys")
async def keys(request: Request, pool: Pool, staff: Admin) -> HTMLResponse:
    return await _keys_page(request, pool, staff)


@router.post("/keys", response_model=None)
async def add_key(
    request: Request, pool: Pool, checks: IntakeChecks, staff: Admin, name: Text, channel: Text
) -> HTMLResponse | RedirectResponse:
    """The key is in this answer only (no redirect, no cookie): only its hash is stored."""
    try:
        async with pool.acquire() as conn:
            key = await accounts.add_intake_key(
                conn,
                name=name.strip(),
                channel=channel,
                key=new_intake_key(),
                hash_key=hash_intake_key,
            )
    except accounts.AccountError as exc:
        return redirect("/console/admin/keys", Flash("error.invalid", str(exc), error=True))
    await checks.refresh()  # intake takes the key at once, also while PostgreSQL is down
    return await _keys_page(request, pool, staff, status=201, new_key=key)
