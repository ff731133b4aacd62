"""Webhooks for admins: register a URL with a secret and the case events it wants; every
delivery is a signed JSON POST from the outbox, and its attempts are listed here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Pool, Staff, require_role
from api.errors import ApiError, error_responses
from api.paging import RowId
from domain.models import Role
from repository import webhooks as repo

router = APIRouter(
    prefix="/api/v1/admin/webhooks", tags=["webhooks"], responses=error_responses(401, 403)
)
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]
NOT_FOUND = error_responses(404)

Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]
Secret = Annotated[str, Field(min_length=16, max_length=200)]
# Timeline kinds (received, dispatched, replied, closed, step_reminder…), or "*" for all.
EventKinds = Annotated[list[Annotated[str, Field(pattern=r"^(\*|[a-z_]+)$")]], Field(min_length=1)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    secret: Secret = Field(description="signs every delivery (HMAC-SHA256); never shown again")
    events: EventKinds
    description: str = ""


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    secret: Secret | None = None
    events: EventKinds | None = None
    description: str | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime


class DeliveryOut(BaseModel):
    """One delivery and its attempts so far; `id` is what the receiver sees as the delivery."""

    id: str
    event: str
    inquiry_id: UUID
    status: str  # queued | sent | failed (retried at next_attempt_at) | gave_up
    attempts: int
    provider_id: str | None
    last_error: str | None
    queued_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    sent_at: datetime | None
    gave_up_at: datetime | None


def _delivery(row: asyncpg.Record) -> DeliveryOut:
    return DeliveryOut(**{**dict(row), "id": row["dedupe_key"], "event": row["kind"]})


@router.get("")
async def list_webhooks(pool: Pool, _: Admin) -> list[WebhookOut]:
    async with pool.acquire() as conn:
        return [WebhookOut(**dict(r)) for r in await repo.list_all(conn)]


@router.post("", status_code=201, responses=error_responses(422))
async def create_webhook(body: WebhookIn, pool: Pool, _: Admin) -> WebhookOut:
    async with pool.acquire() as conn:
        row = await repo.create(
            conn,
            url=body.url,
            secret=body.secret,
            events=body.events,
            description=body.description,
        )
    return WebhookOut(**dict(row))


@router.get("/{webhook_id}", responses=NOT_FOUND)
async def get_webhook(webhook_id: RowId, pool: Pool, _: Admin) -> WebhookOut:
    async with pool.acquire() as conn:
        row = await repo.get(conn, webhook_id=webhook_id)
    if row is None:
        raise ApiError(404, "not_found", "no such webhook")
    return WebhookOut(**dict(row))


@router.patch("/{webhook_id}", responses={**NOT_FOUND, **error_responses(422)})
async def change_webhook(webhook_id: RowId, body: WebhookPatch, pool: Pool, _: Admin) -> WebhookOut:
    async with pool.acquire() as conn:
        row = await repo.update(
            conn, webhook_id=webhook_id, fields=body.model_dump(exclude_none=True)
        )
    if row is None:
        raise ApiError(404, "not_found", "no such webhook")
    return WebhookOut(**dict(row))


@router.delete("/{webhook_id}", responses=NOT_FOUND)
async def delete_webhook(webhook_id: RowId, pool: Pool, _: Admin) -> WebhookOut:
    """The webhook goes, with its deliveries (pending ones are not sent)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.get(conn, webhook_id=webhook_id)
        if row is None or not await repo.delete(conn, webhook_id=webhook_id):
            raise ApiError(404, "not_found", "no such webhook")
    return WebhookOut(**dict(row))


@router.get("/{webhook_id}/deliveries", responses=NOT_FOUND)
async def list_deliveries(
    webhook_id: RowId, pool: Pool, _: Admin, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[DeliveryOut]:
    """The latest deliveries, newest first, with attempts, provider answer and last error."""
    async with pool.acquire() as conn:
        if await repo.get(conn, webhook_id=webhook_id) is None:
            raise ApiError(404, "not_found", "no such webhook")
        rows = await repo.deliveries(conn, webhook_id=webhook_id, limit=limit)
    return [_delivery(r) for r in rows]
