"""What every page shares: its route class (security headers, CSRF, errors as pages, sign-in
redirect), rendering with the caller's language, flash messages and redirects.

A page module makes its router with `page_router()`, answers with `render(...)` or
`redirect(...)`, and takes the caller with `PageStaff` (api.pages.session). Every POST to such a
router is CSRF-checked before the handler runs; a ServiceError becomes an error page with its
status (or, for forms, the handler turns it into a flash with `Flash.refused`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.pages import present
from api.pages.session import (
    CSRF_COOKIE,
    LoginRequired,
    check_csrf,
    new_csrf_token,
    set_csrf_cookie,
)
from api.pages.texts import DEFAULT_LANG, LANGS, Texts
from core.settings import Settings
from service.errors import ServiceError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
LANG_COOKIE = "lang"
FLASH_COOKIE = "flash"

# No inline script or style anywhere: pages load /static files only.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Tracking codes are in page addresses: never hand them to another site.
    "Referrer-Policy": "no-referrer",
    # Pages carry personal data or a CSRF token: no copy in any cache.
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = present.when
_env.globals["due_badge"] = present.due_badge


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


@dataclass(frozen=True)
class Flash:
    """A one-time message shown on the next page: a text key, and the service's own words."""

    key: str
    detail: str = ""
    error: bool = False

    @classmethod
    def refused(cls, exc: ServiceError) -> Flash:
        return cls(f"error.{exc.code}", exc.message, error=True)

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def decode(cls, value: str | None) -> Flash | None:
        if not value:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(value.encode()))
            return cls(str(data["key"]), str(data.get("detail", "")), bool(data.get("error")))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The template with the caller's language, the CSRF token and any flash message."""
    t = Texts(lang_of(request))
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    flash = Flash.decode(request.cookies.get(FLASH_COOKIE))
    html = _env.get_template(template).render(
        t=t, lang=t.lang, csrf_token=csrf, flash=flash, path=request.url.path, **context
    )
    response = HTMLResponse(html, status_code=status)
    if CSRF_COOKIE not in request.cookies:
        set_csrf_cookie(response, csrf, settings_of(request))
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def local(url: str | None, default: str) -> str:
    """A redirect target on this site only (a path, never //host or a scheme)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return default


def redirect(url: str, flash: Flash | None = None) -> RedirectResponse:
    """303 See Other: after a form, the browser GETs the page again (no resubmission)."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        response.set_cookie(FLASH_COOKIE, flash.encode(), httponly=True, samesite="lax", path="/")
    return response


async def attempt(
    back: str, action: Callable[[], Coroutine[Any, Any, Any]], done: str
) -> RedirectResponse:
    """Run a service action for a form and go back with a flash: `done` or the refusal."""
    try:
        await action()
    except ServiceError as exc:
        return redirect(back, Flash.refused(exc))
    except ValueError as exc:  # a pydantic ValidationError of the form's body
        return redirect(back, Flash("error.invalid", str(exc).splitlines()[-1], error=True))
    return redirect(back, Flash(done))


def error_page(request: Request, exc: ServiceError) -> HTMLResponse:
    response = render(request, "error.html", status=exc.status, error=exc)
    response.headers.update(exc.headers or {})
    return response


class PageRoute(APIRoute):
    """Every page: CSRF on POST, errors as pages, a sign-in redirect, the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if request.method == "POST":
                    await check_csrf(request)
                response = await handler(request)
            except LoginRequired:
                target = quote(request.url.path, safe="/")
                response = redirect(f"/console/login?next={target}")
            except ServiceError as exc:
                response = error_page(request, exc)
            except RequestValidationError as exc:
                fields = ", ".join(str(e.get("loc", ("",))[-1]) for e in exc.errors())
                response = error_page(
                    request, ServiceError(422, "validation_error", f"check: {fields}")
                )
            response.headers.update(PAGE_HEADERS)
            return response

        return page


def page_router(**kwargs: Any) -> APIRouter:
    """A router for pages: PageRoute, and no place in the OpenAPI schema."""
    return APIRouter(route_class=PageRoute, include_in_schema=False, **kwargs)
