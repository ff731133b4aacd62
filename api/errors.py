"""Every error leaves the API as JSON with a stable `code` and a human `message`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from api import open311_answers as open311
from core.db import UNREACHABLE
from service.errors import ServiceError, unavailable

log = structlog.get_logger(__name__)


class ApiError(ServiceError):
    """A refusal the client can act on, raised by the HTTP layer itself (auth, input)."""


class ErrorOut(BaseModel):
    """Every 4xx/5xx body: a stable code to act on and a message to read."""

    code: str
    message: str


_MEANING = {
    400: "malformed request",
    401: "not signed in",
    403: "not allowed for this caller or unit",
    404: "no such inquiry",
    409: "refused in the case's current state (nothing changed)",
    422: "invalid input (nothing changed)",
    429: "too many requests or attempts (see Retry-After)",
    503: "a dependency or the worker is unavailable (code names it; see Retry-After)",
}

# What a page shows for an error instead of JSON; None when the request is not for a page.
PageError = Callable[[Request, ServiceError], Response | None]
# Exceptions that may say a dependency is down (service.errors.unavailable decides).
_OUTAGES = [k for k in (*UNREACHABLE, RPCError, RuntimeError) if issubclass(k, Exception)]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of an operation: each error status it gives, with the error body."""
    return {s: {"model": ErrorOut, "description": _MEANING.get(s, "error")} for s in statuses}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "error": err["msg"]}
        for err in exc.errors()
    ]


def _internal_error(exc: BaseException) -> JSONResponse:
    log.exception("unhandled_error", error_type=type(exc).__name__, exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "the service failed; the request was not completed"),
        status_code=500,
    )


async def note_outage(request: Request, exc: Exception, error: ServiceError) -> None:
    """Log a dependency found down; after a PostgreSQL outage, drop the pool's connections."""
    log.warning("dependency_unavailable", code=error.code, error_type=type(exc).__name__)
    if error.code == "database_unavailable":
        # Connections opened before the outage are dead: the pool opens new ones next time.
        pool = getattr(request.app.state, "pool", None)
        if pool is not None:
            await pool.expire_connections()


def install_error_handlers(app: FastAPI, *, page_error: PageError | None = None) -> None:
    """JSON errors for the API; `page_error` answers the same errors on pages."""

    async def _outage(request: Request, exc: Exception) -> Response:
        """Temporal or PostgreSQL unreachable, wherever it was noticed: 503 naming it."""
        error = unavailable(exc)
        if error is None:
            return _internal_error(exc)
        await note_outage(request, exc, error)
        page = page_error(request, error) if page_error is not None else None
        if page is not None:
            return page
        return JSONResponse(
            error_body(error.code, error.message), status_code=error.status, headers=error.headers
        )

    for kind in _OUTAGES:
        app.add_exception_handler(kind, _outage)

    @app.exception_handler(ServiceError)
    async def _refused(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return JSONResponse(
                error_body("malformed_json", "the request body is not valid JSON"), status_code=400
            )
        details = _validation_details(exc)
        message = "; ".join(f"{d['field'] or 'body'}: {d['error']}" for d in details)
        return JSONResponse(
            error_body("validation_error", message, details=details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if request.url.path.startswith(open311.PREFIX):
            # No route matched under /open311: still the spec's error list.
            error = ServiceError(
                exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})
            )
            return open311.errors(request, error)
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _internal_error(exc)
