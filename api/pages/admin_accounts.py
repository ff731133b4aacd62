"""`/console/admin/users` and `/console/admin/keys`: staff accounts and intake keys, listed and
added through service.accounts (the rules of the `inquiry user add` and `intake-key add`
commands). A new key is shown once, on the answer to the form, and never again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import asyncpg
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import IntakeChecks, Pool
from api.pages.session import page_role
from api.pages.web import Flash, attempt, page_router, redirect, render
from domain.models import Channel, Role
from repository import Conn, directory
from service import accounts, catalog
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/admin")
Admin = Annotated[Staff, Depends(page_role(Role.ADMIN))]
Text = Annotated[str, Form(max_length=200)]


async def _listed(
    pool: Pool, read: Callable[[Conn], Awaitable[list[asyncpg.Record]]]
) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await read(conn)


@router.get("/users")
async def users(request: Request, pool: Pool, staff: Admin) -> HTMLResponse:
    return render(
        request,
        "console/admin_users.html",
        staff=staff,
        users=await _listed(pool, directory.list_users),
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
                actor=staff.username,
            )

    return await attempt("/console/admin/users", create, "done.saved")


@router.post("/users/{username}/email")
async def set_email(
    pool: Pool, staff: Admin, username: str, email: Annotated[str, Form(max_length=254)] = ""
) -> RedirectResponse:
    """The user's email address; an empty field removes it (service.accounts.set_email)."""

    async def save() -> None:
        try:
            async with pool.acquire() as conn, conn.transaction():
                await accounts.set_email(
                    conn, username=username, email=email.strip() or None, actor=staff.username
                )
        except accounts.NoSuchAccount as missing:
            raise ServiceError(404, "not_found", str(missing)) from missing

    return await attempt("/console/admin/users", save, "done.saved")


async def _keys_page(
    request: Request, pool: Pool, staff: Staff, *, status: int = 200, new_key: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "console/admin_keys.html",
        status=status,
        staff=staff,
        keys=await _listed(pool, directory.list_intake_keys),
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
                conn, name=name.strip(), channel=channel, actor=staff.username
            )
    except accounts.AccountError as exc:
        return redirect("/console/admin/keys", Flash("error.invalid", str(exc), error=True))
    await checks.refresh()  # intake takes the key at once, also while PostgreSQL is down
    return await _keys_page(request, pool, staff, status=201, new_key=key)
