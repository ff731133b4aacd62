"""Staff accounts and intake keys, one set of rules for the CLI and the admin API.

Passwords are hashed with argon2 and intake keys stored as SHA-256 hashes; neither is ever
returned or logged. Every change is written to the audit log in the same transaction.

An argon2 hash or check takes about 0.1–0.2 s of CPU and 64 MiB: it runs in a thread of its own
pool (at most two at a time), never on the event loop, where it would hold up every other
request of the process for its whole duration.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.contacts import staff_email
from domain.models import UNIT_BOUND_ROLES, Channel, Role
from repository import Conn, audit, directory

_hasher = PasswordHasher()
_hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
INTAKE_KEY_PREFIX = "ik_"
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A request the directory refuses (unknown role, unit or channel; a taken name)."""


class NameTaken(AccountError):
    """The username or key name exists already."""


class NoSuchAccount(LookupError):
    """No user or intake key of that name."""


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hashing, _hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _hashing, _verify, password_hash, password
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the user does not exist, so a wrong username costs as much as a wrong
# password (hashed once, at import).
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_intake_key() -> str:
    return INTAKE_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_intake_key(key: str) -> str:
    """Intake keys are long random strings, so a plain SHA-256 suffices to store them."""
    return hashlib.sha256(key.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


async def add_user(
    conn: Conn,
    *,
    username: str,
    role: str,
    unit_code: str | None,
    password: str,
    actor: str = "cli",
) -> asyncpg.Record:
    """Create a user; returns it as the admin API shows it (no hash)."""
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise AccountError(f"unknown role {role!r}; use one of {[r.value for r in Role]}") from exc
    if parsed in UNIT_BOUND_ROLES and not unit_code:
        raise AccountError(f"a {role} belongs to a unit: give --unit")
    if unit_code and not await directory.unit_exists(conn, code=unit_code):
        raise AccountError(f"there is no unit {unit_code!r}")
    _check_password(password)
    created = await directory.add_user(
        conn,
        username=username,
        password_hash=await hash_password(password),
        role=parsed.value,
        unit_code=unit_code if parsed in UNIT_BOUND_ROLES else None,
    )
    if not created:
        raise NameTaken(f"the username {username!r} is taken")
    user = await directory.user_view(conn, username=username)
    assert user is not None
    await audit.record(
        conn, actor=actor, action="user.create", target_type="user", target=username,
        before=None, after=user,
    )  # fmt: skip
    return user


async def change_password(
    conn: Conn, *, username: str, password: str, actor: str
) -> asyncpg.Record:
    """A new password; every token issued before stops working."""
    _check_password(password)
    before = await directory.user_view(conn, username=username)
    if before is None:
        raise NoSuchAccount(f"there is no user {username!r}")
    after = await directory.set_password(
        conn, username=username, password_hash=await hash_password(password)
    )
    assert after is not None
    await audit.record(
        conn, actor=actor, action="user.password", target_type="user", target=username,
        before=before, after=after,
    )  # fmt: skip
    return after


async def set_user_active(conn: Conn, *, username: str, active: bool, actor: str) -> asyncpg.Record:
    """Disable a user (its tokens stop working at once) or enable it again."""
    before = await directory.user_view(conn, username=username)
    if before is None:
        raise NoSuchAccount(f"there is no user {username!r}")
    after = await directory.set_user_active(conn, username=username, active=active)
    assert after is not None
    await audit.record(
        conn, actor=actor, action="user.enable" if active else "user.disable", target_type="user",
        target=username, before=before, after=after,
    )  # fmt: skip
    return after


async def set_email(conn: Conn, *, username: str, email: str | None, actor: str) -> asyncpg.Record:
    """Set or remove (None) the user's email address: a unit head's staff notices and daily
    digest go there, a supervisor's monthly summary too; without one they stay on the log."""
    try:
        address = staff_email(email) if email is not None else None
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    before = await directory.user_view(conn, username=username)
    if before is None:
        raise NoSuchAccount(f"there is no user {username!r}")
    after = await directory.set_email(conn, username=username, email=address)
    assert after is not None
    await audit.record(
        conn, actor=actor, action="user.email", target_type="user", target=username,
        before=before, after=after,
    )  # fmt: skip
    return after


async def add_intake_key(conn: Conn, *, name: str, channel: str, actor: str = "cli") -> str:
    """Create a key and return it; only its hash is kept, so this is the one time it is seen."""
    if channel not in {c.value for c in Channel}:
        raise AccountError(f"unknown channel {channel!r}; use one of {[c.value for c in Channel]}")
    key = new_intake_key()
    created = await directory.add_intake_key(
        conn, name=name, channel=channel, key_prefix=key[:8], key_hash=hash_intake_key(key)
    )
    if not created:
        raise NameTaken(f"an intake key named {name!r} exists")
    await audit.record(
        conn, actor=actor, action="intake_key.create", target_type="intake_key", target=name,
        before=None, after=await directory.intake_key_view(conn, name=name),
    )  # fmt: skip
    return key


async def revoke_intake_key(conn: Conn, *, name: str, actor: str) -> asyncpg.Record:
    """The key stops working (intake's copy must be refreshed by the caller)."""
    before = await directory.intake_key_view(conn, name=name)
    if before is None:
        raise NoSuchAccount(f"there is no intake key {name!r}")
    after = await directory.revoke_intake_key(conn, name=name)
    assert after is not None
    await audit.record(
        conn, actor=actor, action="intake_key.revoke", target_type="intake_key", target=name,
        before=before, after=after,
    )  # fmt: skip
    return after
