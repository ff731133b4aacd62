"""The remote codec for the Temporal UI: authorised staff read encrypted cases in the UI.

Temporal's remote codec protocol (docs.temporal.io, "Codec Server"): the UI POSTs
`{"payloads": [{"metadata": {k: base64}, "data": base64}]}` to `<endpoint>/decode` (to show
them) or `<endpoint>/encode` (to send input from the UI) and shows what comes back. The browser
calls from the UI's origin, so the answers carry CORS headers for the origins in CODEC_ORIGINS
only. Only supervisors and admins are served, by a bearer token or by the console's session
cookie (the UI sends cookies when "Include cross-origin credentials" is on).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from api.deps import AppSettings, Pool, Staff, Temporal, settings_of, staff_from_token
from api.errors import ApiError, error_body, error_responses
from api.pages.session import SESSION_COOKIE
from core.codec import CodecError
from domain.models import Role
from service.errors import ServiceError

READERS = (Role.SUPERVISOR, Role.ADMIN)
_ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


def _allow_origin(request: Request, response: Response) -> None:
    """CORS for the Temporal UI's origins; any other origin gets no grant (the browser blocks)."""
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin and origin.rstrip("/") in settings_of(request).ui_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"


class _CorsRoute(APIRoute):
    """Every answer of /codec, refusals included, carries the CORS grant, so the UI can show
    why it was refused."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except ServiceError as exc:
                body = error_body(exc.code, exc.message)
                response = JSONResponse(body, status_code=exc.status, headers=exc.headers)
            _allow_origin(request, response)
            return response

        return with_cors


router = APIRouter(prefix="/codec", tags=["codec"], route_class=_CorsRoute)
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class CodecPayload(BaseModel):
    """One Temporal payload in protobuf JSON: metadata values and data in base64."""

    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class CodecPayloads(BaseModel):
    payloads: list[CodecPayload]


async def codec_reader(
    request: Request,
    pool: Pool,
    settings: AppSettings,
    token: Annotated[str | None, Depends(_bearer)],
) -> Staff:
    """A supervisor or admin, by bearer token or by the console's session cookie."""
    staff = await staff_from_token(token or request.cookies.get(SESSION_COOKIE), pool, settings)
    if staff.role not in READERS:
        raise ApiError(403, "forbidden", "reading case data needs the role supervisor or admin")
    return staff


Reader = Annotated[Staff, Depends(codec_reader)]
_RESPONSES = error_responses(401, 403, 422)


@router.post("/decode", response_model=CodecPayloads, responses=_RESPONSES)
async def decode(body: CodecPayloads, _: Reader, temporal: Temporal) -> CodecPayloads:
    """Decrypt the payloads this service encrypted; others come back as they were."""
    codec = temporal.data_converter.payload_codec
    if codec is None:
        return body
    return _out(await _apply(codec.decode, _in(body)))


@router.post("/encode", response_model=CodecPayloads, responses=_RESPONSES)
async def encode(body: CodecPayloads, _: Reader, temporal: Temporal) -> CodecPayloads:
    """Encrypt payloads (input the UI sends to a workflow) under the current key."""
    codec = temporal.data_converter.payload_codec
    if codec is None:
        return body
    return _out(await _apply(codec.encode, _in(body)))


@router.options("/{operation}", include_in_schema=False)
async def preflight(operation: str, request: Request) -> Response:
    """The browser's CORS preflight from the Temporal UI."""
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


async def _apply(
    step: Callable[[list[Payload]], Awaitable[list[Payload]]], payloads: list[Payload]
) -> list[Payload]:
    try:
        return await step(payloads)
    except CodecError as exc:
        raise ApiError(422, "undecodable", str(exc)) from None


def _in(body: CodecPayloads) -> list[Payload]:
    try:
        return [
            Payload(
                metadata={k: base64.b64decode(v, validate=True) for k, v in p.metadata.items()},
                data=base64.b64decode(p.data, validate=True),
            )
            for p in body.payloads
        ]
    except (binascii.Error, ValueError, TypeError):  # not base64, not ASCII, not a payload
        raise ApiError(422, "validation_error", "payload metadata and data are base64") from None


def _out(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(
        payloads=[
            CodecPayload(
                metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                data=base64.b64encode(p.data).decode(),
            )
            for p in payloads
        ]
    )
