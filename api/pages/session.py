"""The browser's session: a signed token in an HttpOnly cookie, and the CSRF token.

The session cookie holds the same signed token (JWT) that /api/v1/auth/token issues, so a
page knows its caller exactly as the JSON API does (api.deps.staff_from_token: the account must
still exist and be active). The CSRF token is a random value in its own HttpOnly cookie; every
form repeats it in a hidden field and every POST to a page must carry both, equal
(double submit). It is renewed at sign-in and sign-out, so a token from before signing in is
worthless after it. Both cookies are SameSite=Lax, and Secure in production.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from api.deps import AppSettings, Pool, staff_from_token
from api.security import issue_token
from core.settings import Settings
from domain.models import Role
from service.errors import ServiceError
from service.principals import Staff

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised by a page that needs a signed-in member of staff; the page route redirects."""


async def page_staff(request: Request, pool: Pool, settings: AppSettings) -> Staff:
    """The signed-in member of staff, or LoginRequired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        return await staff_from_token(token, pool, settings)
    except ServiceError as exc:
        if exc.status == 401:
            raise LoginRequired from exc
        raise


PageStaff = Annotated[Staff, Depends(page_staff)]


def page_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Staff]]:
    """A page dependency admitting only the given roles (others get a 403 page)."""

    async def _check(staff: PageStaff) -> Staff:
        if staff.role not in roles:
            raise ServiceError(403, "forbidden", f"this page needs the role {' or '.join(roles)}")
        return staff

    return _check


def _cookie(response: Response, name: str, value: str, settings: Settings, **kw: Any) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        path="/",
        **kw,
    )


def sign_in(
    response: Response, *, username: str, role: str, version: int, settings: Settings
) -> None:
    """Set the session cookie for this account and a fresh CSRF token."""
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    token = issue_token(
        username=username, role=role, version=version, secret=settings.jwt_secret, ttl=ttl
    )
    _cookie(response, SESSION_COOKIE, token, settings, max_age=int(ttl.total_seconds()))
    _cookie(response, CSRF_COOKIE, new_csrf_token(), settings)


def sign_out(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    _cookie(response, CSRF_COOKIE, new_csrf_token(), settings)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, token: str, settings: Settings) -> None:
    _cookie(response, CSRF_COOKIE, token, settings)


async def check_csrf(request: Request) -> None:
    """Every POST to a page: the form's hidden token must equal the cookie's, else 403."""
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = (await request.form()).get(CSRF_FIELD)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
        raise ServiceError(403, "csrf", "the form has expired or did not come from this site")
