"""Staff accounts and intake keys as the admin pages create them: the same rules and hashes as
the `inquiry user add` / `intake-key add` commands (infra.accounts), called the way main's
service/accounts.py (merged from the branch that moved those rules here) is called, so that on
merge main's module takes this one's place unchanged."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher

from domain.models import UNIT_BOUND_ROLES, Channel, Role
from repository import Conn, directory

_hasher = PasswordHasher()
INTAKE_KEY_PREFIX = "ik_"
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
    actor: str = "cli",
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
        password_hash=_hasher.hash(password),
        role=parsed.value,
        unit_code=unit_code if parsed in UNIT_BOUND_ROLES else None,
    )
    if not created:
        raise AccountError(f"the username {username!r} is taken")


async def add_intake_key(conn: Conn, *, name: str, channel: str, actor: str = "cli") -> str:
    """Create a key and return it; only its hash is kept, so this is the one time it is seen."""
    if channel not in {c.value for c in Channel}:
        raise AccountError(f"unknown channel {channel!r}; use one of {[c.value for c in Channel]}")
    key = INTAKE_KEY_PREFIX + secrets.token_urlsafe(32)
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    created = await directory.add_intake_key(
        conn, name=name, channel=channel, key_prefix=key[:8], key_hash=key_hash
    )
    if not created:
        raise AccountError(f"an intake key named {name!r} exists")
    return key
