"""Webhooks that admins register, and their deliveries (rows of the notifications outbox)."""

from __future__ import annotations

from typing import Any

import asyncpg

from repository import Conn

_COLUMNS = "id, url, events, description, active, created_at, updated_at"


async def create(
    conn: Conn, *, url: str, secret: str, events: list[str], description: str
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"INSERT INTO webhooks (url, secret, events, description) VALUES ($1, $2, $3, $4)"
        f" RETURNING {_COLUMNS}",
        url,
        secret,
        events,
        description,
    )
    assert row is not None
    return row


async def list_all(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_COLUMNS} FROM webhooks ORDER BY id")


async def get(conn: Conn, *, webhook_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM webhooks WHERE id = $1", webhook_id)


async def update(conn: Conn, *, webhook_id: int, fields: dict[str, Any]) -> asyncpg.Record | None:
    """Change the given columns (url, secret, events, description, active)."""
    allowed = {"url", "secret", "events", "description", "active"}
    names = [name for name in fields if name in allowed]
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    return await conn.fetchrow(
        f"UPDATE webhooks SET {sets}{', ' if sets else ''}updated_at = now() WHERE id = $1"
        f" RETURNING {_COLUMNS}",
        webhook_id,
        *(fields[name] for name in names),
    )


async def delete(conn: Conn, *, webhook_id: int) -> bool:
    """The webhook and its deliveries, pending ones included, go (ON DELETE CASCADE)."""
    done = await conn.fetchval("DELETE FROM webhooks WHERE id = $1 RETURNING id", webhook_id)
    return done is not None


async def subscribed(conn: Conn, *, event: str) -> list[asyncpg.Record]:
    """Active webhooks that want this event kind ('*' wants every kind)."""
    return await conn.fetch(
        "SELECT id, url FROM webhooks WHERE active AND ($1 = ANY(events) OR '*' = ANY(events))"
        " ORDER BY id",
        event,
    )


async def deliveries(conn: Conn, *, webhook_id: int, limit: int) -> list[asyncpg.Record]:
    """The latest deliveries to one webhook, newest first, with their attempts."""
    return await conn.fetch(
        """
        SELECT id, dedupe_key, kind, inquiry_id, status, attempts, provider_id, last_error,
               queued_at, last_attempt_at, next_attempt_at, sent_at, gave_up_at
        FROM notifications WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2
        """,
        webhook_id,
        limit,
    )
