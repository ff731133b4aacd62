"""Open311 GeoReport v2 under /open311/v2, each document as `.json` or `.xml` (the spec's suffix).

Every refusal here is the spec's error list `[{code, description}]` in the asked format, with
the HTTP status as code: 400 bad input, 403 api_key, 404 unknown, 429 limit, 503 outage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import AppSettings, IntakeChecks, Pool, Temporal
from api.errors import note_outage
from api.open311_answers import answer, errors
from api.ratelimit import RateLimited
from service import open311
from service.errors import ServiceError, unavailable
from service.open311_filing import file_request
from service.open311_models import (
    SPECIFICATION,
    Discovery,
    DiscoveryEndpoint,
    Open311Error,
    Open311Service,
    RequestCreated,
    RequestForm,
    RequestToken,
    ServiceDefinition,
    ServiceRequest,
)

CHANGESET = "2026-12-04T00:00:00+08:00"  # when this API last changed (discovery)
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,64})\]$")


def _invalid(exc: RequestValidationError) -> ServiceError:
    """A suffix other than .json/.xml is no document here (404); any other field is 400."""
    if any(tuple(err.get("loc", ())) == ("path", "format") for err in exc.errors()):
        return ServiceError(404, "not_found", "no such document: use .json or .xml")
    message = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'}: {err['msg']}"
        for err in exc.errors()
    )
    return ServiceError(400, "bad_request", message)


class Open311Route(APIRoute):
    """A route whose refusals, wherever raised (validation, limit, service, outage), are the
    spec's error list rather than the API's `{code, message}`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def respond(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return errors(request, _invalid(exc))
            except ServiceError as exc:
                return errors(request, exc)
            except StarletteHTTPException as exc:
                error = ServiceError(exc.status_code, "http_error", str(exc.detail))
                return errors(request, error)
            except Exception as exc:
                outage = unavailable(exc)
                if outage is None:
                    raise
                await note_outage(request, exc, outage)
                return errors(request, outage)

        return respond


router = APIRouter(
    prefix="/open311", tags=["open311"], route_class=Open311Route, dependencies=[RateLimited]
)

Format = Annotated[Literal["json", "xml"], Path(description="json or xml")]
_MEANING = {
    400: "bad input (a field too long or malformed), or a required field missing",
    403: "api_key missing, unknown or revoked",
    404: "no such service, request or document",
    429: "too many requests from this client (see Retry-After)",
    503: "a dependency is unavailable (see Retry-After)",
}


def _documents(*statuses: int, ok: int = 200) -> dict[int | str, dict[str, Any]]:
    """The XML form beside the JSON one, and each refusal as the spec's error list."""
    answers: dict[int | str, dict[str, Any]] = {
        ok: {"content": {"text/xml": {"schema": {"type": "string"}}}}
    }
    for status in statuses:
        answers[status] = {
            "model": list[Open311Error],
            "description": _MEANING[status],
            "content": {"text/xml": {"schema": {"type": "string"}}},
        }
    return answers


@router.get(
    "/discovery.{format}",
    response_model=Discovery,
    responses=_documents(404, 429),
)
async def discovery(format: Format, request: Request, settings: AppSettings) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks (the spec's discovery)."""
    endpoint = DiscoveryEndpoint(
        specification=SPECIFICATION,
        url=str(request.base_url).rstrip("/") + "/open311/v2",
        changeset=CHANGESET,
        type="production" if settings.environment == "production" else "test",
        formats=["application/json", "text/xml"],
    )
    document = Discovery(
        changeset=CHANGESET,
        contact=settings.open311_contact,
        key_service=settings.open311_key_service,
        endpoints=[endpoint],
    )
    return answer(format, "discovery", document)


@router.get(
    "/v2/services.{format}",
    response_model=list[Open311Service],
    responses=_documents(404, 429, 503),
)
async def services(format: Format, pool: Pool) -> Response:
    """Each open category as a service."""
    return answer(format, "services", await open311.services(pool))


@router.get(
    "/v2/services/{service_code}.{format}",
    response_model=ServiceDefinition,
    responses=_documents(400, 404, 429, 503),
)
async def service_definition(
    service_code: Annotated[str, Path(max_length=64)], format: Format, pool: Pool
) -> Response:
    """The attributes a service takes beyond the standard fields (district, priority)."""
    return answer(format, "service_definition", await open311.definition(pool, service_code))


@router.post(
    "/v2/requests.{format}",
    status_code=201,
    response_model=list[RequestCreated],
    responses=_documents(400, 403, 404, 429, 503, ok=201),
)
async def create_request(
    format: Format,
    form: Annotated[RequestForm, Form()],
    request: Request,
    pool: Pool,
    temporal: Temporal,
    settings: AppSettings,
    checks: IntakeChecks,
) -> Response:
    """File a request with an intake key; the answer's service_request_id is the tracking code."""
    created = await file_request(
        pool,
        temporal,
        checks,
        task_queue=settings.task_queue,
        form=form,
        attributes=await _attributes(request),
    )
    return answer(format, "service_requests", [created], 201)


async def _attributes(request: Request) -> dict[str, str]:
    """The form's `attribute[code]` fields (read from the form FastAPI has parsed already)."""
    found: dict[str, str] = {}
    for key, value in (await request.form()).multi_items():
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        if not isinstance(value, str):
            raise ServiceError(400, "bad_request", f"{key} is not text")
        found[match.group(1)] = value
    return found


@router.get(
    "/v2/requests.{format}",
    response_model=list[ServiceRequest],
    responses=_documents(400, 403, 404, 429, 503),
)
async def list_requests(
    format: Format,
    pool: Pool,
    checks: IntakeChecks,
    service_request_id: Annotated[str | None, Query(max_length=3400)] = None,
    service_code: Annotated[str | None, Query(max_length=1000)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The requests with the ids given, or with an api_key those filed with it (filtered)."""
    query = open311.RequestQuery(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        page=page,
        page_size=page_size,
    )
    found = await open311.find_requests(pool, checks, query, api_key)
    return answer(format, "service_requests", found)


@router.get(
    "/v2/requests/{service_request_id}.{format}",
    response_model=list[ServiceRequest],
    responses=_documents(400, 404, 429, 503),
)
async def get_request(
    service_request_id: Annotated[str, Path(max_length=64)], format: Format, pool: Pool
) -> Response:
    """One request, in a list as the spec answers it."""
    return answer(format, "service_requests", await open311.request(pool, service_request_id))


@router.get(
    "/v2/tokens/{token}.{format}",
    response_model=list[RequestToken],
    responses=_documents(400, 404, 429, 503),
)
async def get_token(
    token: Annotated[str, Path(max_length=64)], format: Format, pool: Pool
) -> Response:
    """The request a token stands for; requests are realtime, so the token is the request id."""
    return answer(format, "service_requests", await open311.token(pool, token))
