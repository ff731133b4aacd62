"""Every error leaves the API as JSON with a stable `code` and a human `message`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ServiceError

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
    503: "no worker answered in time (nothing changed)",
}


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


def install_error_handlers(app: FastAPI) -> None:
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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return JSONResponse(
            error_body("internal_error", "the service failed; the request was not completed"),
            status_code=500,
        )
