"""The readiness probe's one statement."""

from __future__ import annotations

from repository import Conn


async def ping(conn: Conn) -> None:
    """A round trip to PostgreSQL; raises when it does not answer."""
    await conn.fetchval("SELECT 1")
