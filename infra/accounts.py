"""Creating staff accounts, intake keys and the demo directory (CLI and `inquiry run`)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

import asyncpg

from api.security import hash_intake_key, hash_password, new_intake_key
from domain import directory as demo
from domain.models import UNIT_BOUND_ROLES, Channel, Role
from repository import Conn, directory
from repository import cases as case_repo


class AccountError(ValueError):
    """A request the directory refuses (unknown role, unit or channel; a taken name)."""


async def add_user(
    conn: Conn, *, username: str, role: str, unit_code: str | None, password: str
) -> None:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise AccountError(f"unknown role {role!r}; use one of {[r.value for r in Role]}") from exc
    if parsed in UNIT_BOUND_ROLES and not unit_code:
        raise AccountError(f"a {role} belongs to a unit: give --unit")
    if unit_code and not await directory.unit_exists(conn, code=unit_code):
        raise AccountError(f"there is no unit {unit_code!r}")
    if len(password) < 8:
        raise AccountError("the password needs at least 8 characters")
    created = await directory.add_user(
        conn,
        username=username,
        password_hash=hash_password(password),
        role=parsed.value,
        unit_code=unit_code if parsed in UNIT_BOUND_ROLES else None,
    )
    if not created:
        raise AccountError(f"the username {username!r} is taken")


async def add_intake_key(conn: Conn, *, name: str, channel: str) -> str:
    """Create a key and return it; only its hash is kept, so this is the one time it is seen."""
    if channel not in {c.value for c in Channel}:
        raise AccountError(f"unknown channel {channel!r}; use one of {[c.value for c in Channel]}")
    key = new_intake_key()
    created = await directory.add_intake_key(
        conn, name=name, channel=channel, key_prefix=key[:8], key_hash=hash_intake_key(key)
    )
    if not created:
        raise AccountError(f"an intake key named {name!r} exists")
    return key


@dataclass
class DemoSecrets:
    passwords: dict[str, str]
    intake_key: str | None


async def load_demo_data(pool: asyncpg.Pool) -> DemoSecrets:
    """Load units, categories, rules, one user per role and one intake key, once.

    Rows that exist are left as they are (an admin may have changed them); secrets are returned
    only for accounts created now.
    """
    created = DemoSecrets(passwords={}, intake_key=None)
    async with pool.acquire() as conn, conn.transaction():
        for unit in demo.UNITS:
            await directory.insert_row(conn, "units", asdict(unit), if_missing=True)
        for category in demo.CATEGORIES:
            fields = {**asdict(category), **demo.POLICIES.get(category.code, {})}
            await directory.insert_row(conn, "categories", fields, if_missing=True)
        for (code, priority), targets in demo.PRIORITY_TARGETS.items():
            exists = await case_repo.priority_override(conn, category=code, priority=priority)
            if exists is None:
                await case_repo.set_priority_override(
                    conn, category=code, priority=priority, fields=dict(targets)
                )
        for rule in demo.RULES:
            fields = {**asdict(rule), "keywords": list(rule.keywords)}
            await directory.insert_row(conn, "routing_rules", fields, if_missing=True)
        for username, role, unit in demo.DEMO_USERS:
            if await directory.get_user(conn, username=username):
                continue
            password = secrets.token_urlsafe(12)
            await add_user(conn, username=username, role=role, unit_code=unit, password=password)
            created.passwords[username] = password
        name, channel = demo.DEMO_INTAKE_KEY
        if not await directory.intake_key_named(conn, name=name):
            created.intake_key = await add_intake_key(conn, name=name, channel=channel)
    return created
