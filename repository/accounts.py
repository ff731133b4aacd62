"""Staff accounts and intake keys as the admin pages list them (never a hash)."""

from __future__ import annotations

import asyncpg

from repository import Conn


async def list_users(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT username, role, unit_code, active, created_at FROM users ORDER BY role, username"
    )


async def list_intake_keys(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT name, channel, key_prefix, active, created_at FROM intake_keys ORDER BY name"
    )
