"""The audit log: every admin change with its actor, time, and the row before and after."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from repository import Conn

# Never written to the log, whatever a caller passes.
SECRET_FIELDS = frozenset({"password_hash", "key_hash", "password"})


Row = asyncpg.Record | Mapping[str, Any] | None


def _plain(row: Row) -> dict[str, Any] | None:
    """A row as JSON values (times and numbers as text), secrets left out."""
    if row is None:
        return None
    kept = {k: v for k, v in dict(row).items() if k not in SECRET_FIELDS}
    return json.loads(json.dumps(kept, default=str))  # type: ignore[no-any-return]


async def record(
    conn: Conn,
    *,
    actor: str,
    action: str,
    target_type: str,
    target: str,
    before: Row,
    after: Row,
) -> None:
    """One entry, in the caller's transaction: the change and its record commit together."""
    await conn.execute(
        """
        INSERT INTO audit_log (actor, action, target_type, target, before, after)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        actor,
        action,
        target_type,
        target,
        _plain(before),
        _plain(after),
    )


async def entries(
    conn: Conn,
    *,
    actor: str | None,
    target_type: str | None,
    target: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[int, list[asyncpg.Record]]:
    """The matching entries, newest first, and how many match in all."""
    where = """
        ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR target_type = $2)
        AND ($3::text IS NULL OR target = $3) AND ($4::timestamptz IS NULL OR at >= $4)
        AND ($5::timestamptz IS NULL OR at < $5)
    """
    args = (actor, target_type, target, since, until)
    total = await conn.fetchval(f"SELECT count(*) FROM audit_log WHERE {where}", *args)
    rows = await conn.fetch(
        f"SELECT * FROM audit_log WHERE {where} ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7",
        *args,
        limit,
        offset,
    )
    return total, rows
