"""Creating staff accounts, intake keys and the demo directory (CLI and `inquiry run`)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

import asyncpg

from api.security import hash_intake_key, hash_password, new_intake_key
from domain import directory as demo
from repository import Conn, directory
from repository import cases as case_repo
from service import accounts
from service.accounts import AccountError as AccountError  # re-exported for the CLI


async def add_user(
    conn: Conn, *, username: str, role: str, unit_code: str | None, password: str
) -> None:
    await accounts.add_user(
        conn,
        username=username,
        role=role,
        unit_code=unit_code,
        password=password,
        hash_password=hash_password,
    )


async def add_intake_key(conn: Conn, *, name: str, channel: str) -> str:
    """Create a key and return it; only its hash is kept, so this is the one time it is seen."""
    return await accounts.add_intake_key(
        conn, name=name, channel=channel, key=new_intake_key(), hash_key=hash_intake_key
    )


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
