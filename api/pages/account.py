"""Signing in and out of the console, and the language toggle."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import AppSettings, LoginGuards, Pool, authenticate
from api.errors import ApiError
from api.pages.session import sign_in, sign_out
from api.pages.texts import LANGS
from api.pages.web import LANG_COOKIE, local, page_router, redirect, render

router = page_router()


@router.get("/console/login")
async def login_page(request: Request, next: str = "/console") -> HTMLResponse:
    return render(request, "console/login.html", next=local(next, "/console"))


@router.post("/console/login")
async def login(
    request: Request,
    pool: Pool,
    settings: AppSettings,
    guard: LoginGuards,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/console",
) -> Response:
    """The same argon2 check and the same backoff as /api/v1/auth/token; the session is a cookie
    holding its token."""
    client = request.client.host if request.client else "unknown"
    wait = guard.wait_seconds(username=username, client=client)
    if wait:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    user = await authenticate(pool, username, password)
    if user is None:
        guard.failed(username=username, client=client)
        return render(
            request, "console/login.html", status=401, failed=True, next=local(next, "/console")
        )
    guard.succeeded(username=username)
    response = redirect(local(next, "/console"))
    sign_in(
        response,
        username=user["username"],
        role=user["role"],
        version=user["token_version"],
        settings=settings,
    )
    return response


@router.post("/console/logout")
async def logout(settings: AppSettings) -> RedirectResponse:
    response = redirect("/console/login")
    sign_out(response, settings)
    return response


@router.get("/lang/{lang}")
async def choose_language(lang: str, next: str = "/") -> RedirectResponse:
    """The language toggle: a cookie, then back to the page it was clicked on."""
    response = redirect(local(next, "/"))
    if lang in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True, path="/"
        )
    return response
