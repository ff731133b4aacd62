"""Staff accounts and intake keys: the rules of creating them (CLI, demo data and admin pages
alike) and the lists the admin pages show. Hashing is the caller's (api.security), passed in,
so that only hashes reach the repository."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from domain.models import UNIT_BOUND_ROLES, Channel, Role
from repository import Conn, directory
from repository import accounts as repo

MIN_PASSWORD = 8


class AccountError(ValueError):
    """A request the directory refuses (unknown role, unit or channel; a taken name)."""


async def add_user(
    conn: Conn,
    *,
    username: str,
    role: str,
    unit_code: str | None,
    password: str,
    hash_password: Callable[[str], str],
) -> None:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise AccountError(f"unknown role {role!r}; use one of {[r.value for r in Role]}") from exc
    if parsed in UNIT_BOUND_ROLES and not unit_code:
        raise AccountError(f"a {role} belongs to a unit: give --unit")
    if unit_code and not await directory.unit_exists(conn, code=unit_code):
        raise AccountError(f"there is no unit {unit_code!r}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    created = await directory.add_user(
        conn,
        username=username,
        password_hash=hash_password(password),
        role=parsed.value,
        unit_code=unit_code if parsed in UNIT_BOUND_ROLES else None,
    )
    if not created:
        raise AccountError(f"the username {username!r} is taken")


async def add_intake_key(
    conn: Conn, *, name: str, channel: str, key: str, hash_key: Callable[[str], str]
) -> str:
    """Store a new key's hash and return the key: the one time it is seen."""
    if channel not in {c.value for c in Channel}:
        raise AccountError(f"unknown channel {channel!r}; use one of {[c.value for c in Channel]}")
    created = await directory.add_intake_key(
        conn, name=name, channel=channel, key_prefix=key[:8], key_hash=hash_key(key)
    )
    if not created:
        raise AccountError(f"an intake key named {name!r} exists")
    return key


async def users(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await repo.list_users(conn)


async def intake_keys(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await repo.list_intake_keys(conn)
