"""Open311 GeoReport v2 reads: categories are services, inquiries are requests.

The request id is the tracking code (查询码). A tracking code is also the citizen's key to their
case (lookup, 补正, rating), so a list of requests is shown only for codes the caller already
holds, or for the requests filed with the caller's own intake key. Filing: open311_filing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from domain.calendar import CHINA_TZ
from domain.case import FINISHED, CaseStatus
from domain.privacy import mask_text
from repository import open311 as repo
from service.errors import ServiceError
from service.intake import key_principal
from service.intake_directory import IntakeDirectory
from service.open311_filing import intake_client
from service.open311_models import (
    DISTRICT,
    PRIORITY,
    Attribute,
    Open311Service,
    RequestToken,
    ServiceDefinition,
    ServiceRequest,
)

MAX_SPAN = timedelta(days=90)  # the spec's longest start_date..end_date range, and its default
MAX_IDS = 100
# Dates a search may name: far enough to hold every case, near enough that no sum overflows.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=CHINA_TZ), datetime(2100, 1, 1, tzinfo=CHINA_TZ)
CLOSED = sorted(s.value for s in FINISHED)
OPEN = sorted(s.value for s in set(CaseStatus) - FINISHED)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the office's offset (+08:00), as the spec's examples give it."""
    return None if moment is None else moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def _attributes(row: asyncpg.Record) -> list[Attribute]:
    """District where rules route the category by district; priority where it has urgent targets."""
    needed = ((DISTRICT, row["routes_by_district"]), (PRIORITY, row["has_urgent_targets"]))
    return [attribute for attribute, wanted in needed if wanted]


def _service(row: asyncpg.Record) -> Open311Service:
    clock = "working days" if row["clock"] == "working_days" else "hours"
    return Open311Service(
        service_code=row["code"],
        service_name=row["name_zh"] or row["name"],
        description=f"{row['name']}: reply within {row['reply_within']:g} {clock}",
        metadata=bool(_attributes(row)),
        type="realtime",  # the tracking code is the answer to the POST itself
        keywords=", ".join(row["keywords"]),
        group=row["unit_name"] or "",
    )


async def services(pool: asyncpg.Pool) -> list[Open311Service]:
    async with pool.acquire() as conn:
        return [_service(row) for row in await repo.services(conn)]


async def definition(pool: asyncpg.Pool, code: str) -> ServiceDefinition:
    async with pool.acquire() as conn:
        rows = await repo.services(conn, code=code)
    if not rows:
        raise ServiceError(404, "not_found", f"there is no service {code!r}")
    return ServiceDefinition(service_code=code, attributes=_attributes(rows[0]))


@dataclass(frozen=True)
class RequestQuery:
    """The filters of `GET requests`; service_request_id overrides the others (the spec)."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    status: str | None = None
    page: int = 1
    page_size: int = 50


def _split(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def _local(moment: datetime | None) -> datetime | None:
    """A date given without offset is the office's local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CHINA_TZ)


def _window(query: RequestQuery, now: datetime) -> tuple[datetime, datetime]:
    """start_date..end_date, by default the last 90 days, at most 90 days long."""
    start, end = _local(query.start_date), _local(query.end_date)
    if any(d is not None and not EARLIEST <= d <= LATEST for d in (start, end)):
        raise ServiceError(400, "bad_request", "start_date and end_date lie in 2000..2099")
    if end is None:
        end = now if start is None else start + MAX_SPAN
    if start is None:
        start = end - MAX_SPAN
    if start > end:
        raise ServiceError(400, "bad_request", "start_date is after end_date")
    if end - start > MAX_SPAN:
        raise ServiceError(400, "bad_request", "start_date..end_date may span 90 days at most")
    return start, end


def _statuses(value: str | None) -> list[str] | None:
    wanted = _split(value)
    if wanted is None:
        return None
    if not set(wanted) <= {"open", "closed"}:
        raise ServiceError(400, "bad_request", "status is open, closed or both")
    return ([*OPEN] if "open" in wanted else []) + ([*CLOSED] if "closed" in wanted else [])


def _request(row: asyncpg.Record) -> ServiceRequest:
    question = row["question"]
    return ServiceRequest(
        service_request_id=row["tracking_code"],
        status="closed" if row["status"] in FINISHED else "open",
        status_notes=None if row["reply_content"] is None else mask_text(row["reply_content"]),
        service_name=row["category_name_zh"] or row["category_name"],
        service_code=row["category"],
        description=mask_text(row["content"]),
        agency_responsible=row["unit_name"],
        service_notice=None if question is None else f"补正: {mask_text(question)}",
        requested_datetime=iso(row["received_at"]) or "",
        updated_datetime=iso(row["updated_at"]),
        expected_datetime=iso(row["reply_due_at"]),
        address=row["address"],
        lat=row["lat"],
        long=row["long"],
    )


async def find_requests(
    pool: asyncpg.Pool, checks: IntakeDirectory, query: RequestQuery, api_key: str | None
) -> list[ServiceRequest]:
    """The requests with the codes asked for, or those filed with the caller's intake key."""
    client = None if api_key is None else await intake_client(checks, api_key)
    codes = _split(query.service_request_id)
    if codes is not None:
        if len(codes) > MAX_IDS:
            raise ServiceError(400, "bad_request", f"at most {MAX_IDS} service_request_id")
        found = await _find(pool, tracking_codes=[c.upper() for c in codes], limit=MAX_IDS)
        return found
    if client is None:
        raise ServiceError(
            403,
            "api_key_required",
            "give service_request_id, or an api_key to list the requests filed with it",
        )
    start, end = _window(query, datetime.now(CHINA_TZ))
    return await _find(
        pool,
        submitted_by=key_principal(client),
        categories=_split(query.service_code),
        received_from=start,
        received_to=end,
        statuses=_statuses(query.status),
        limit=query.page_size,
        offset=(query.page - 1) * query.page_size,
    )


async def _find(
    pool: asyncpg.Pool,
    *,
    tracking_codes: list[str] | None = None,
    submitted_by: str | None = None,
    categories: list[str] | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    statuses: list[str] | None = None,
    limit: int,
    offset: int = 0,
) -> list[ServiceRequest]:
    async with pool.acquire() as conn:
        rows = await repo.find_requests(
            conn,
            tracking_codes=tracking_codes,
            submitted_by=submitted_by,
            categories=categories,
            received_from=received_from,
            received_to=received_to,
            statuses=statuses,
            limit=limit,
            offset=offset,
        )
    return [_request(row) for row in rows]


async def request(pool: asyncpg.Pool, service_request_id: str) -> list[ServiceRequest]:
    """`GET requests/{id}`: the one request, in a list as the spec answers; 404 if none."""
    found = await _find(pool, tracking_codes=[service_request_id.strip().upper()], limit=1)
    if not found:
        raise ServiceError(404, "not_found", "no request has this service_request_id")
    return found


async def token(pool: asyncpg.Pool, token: str) -> list[RequestToken]:
    """Requests are realtime here: the token of a request is its id (the tracking code)."""
    found = await request(pool, token)
    return [RequestToken(service_request_id=found[0].service_request_id, token=token.strip())]
