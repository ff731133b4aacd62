"""Staff accounts and intake keys for admins: list, create, change passwords, disable, revoke.

The rules are service/accounts.py's, the same the `inquiry user|intake-key` commands use; every
change is in the audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.deps import IntakeChecks, Pool, Staff, require_role
from api.errors import ApiError, error_responses
from domain.contacts import MAX_EMAIL, staff_email
from domain.models import Channel, Role
from repository import directory
from service import accounts

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]
Username = Annotated[str, Path(min_length=1, max_length=100)]
KeyName = Annotated[str, Path(min_length=1, max_length=100)]
Password = Annotated[str, StringConstraints(min_length=accounts.MIN_PASSWORD, max_length=256)]
Email = Annotated[str, StringConstraints(max_length=MAX_EMAIL), AfterValidator(staff_email)]


class UserOut(BaseModel):
    username: str
    role: Role
    unit_code: str | None
    email: str | None = Field(description="where the user's staff notices and digests go")
    active: bool
    token_version: int = Field(description="moves on with each password change or disabling")
    created_at: datetime
    updated_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    role: Role
    unit_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    password: Password


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email | None = Field(
        description="a well-formed address, or null to remove it (notices then go to the log)"
    )


class IntakeKeyOut(BaseModel):
    name: str
    channel: Channel
    key_prefix: str = Field(description="the first characters of the key, to recognise it")
    active: bool
    created_at: datetime
    revoked_at: datetime | None


@asynccontextmanager
async def _accounts(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    """A transaction whose refusals become 404/409/422 answers."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    except accounts.NoSuchAccount as missing:
        raise ApiError(404, "not_found", str(missing)) from missing
    except accounts.NameTaken as taken:
        raise ApiError(409, "already_exists", str(taken)) from taken
    except accounts.AccountError as refused:
        raise ApiError(422, "refused", str(refused)) from refused


@router.get("/users")
async def list_users(pool: Pool, _: Admin) -> list[UserOut]:
    async with pool.acquire() as conn:
        return [UserOut.model_validate(dict(r)) for r in await directory.list_users(conn)]


@router.post("/users", status_code=201, responses=error_responses(409, 422))
async def create_user(body: UserIn, pool: Pool, staff: Admin) -> UserOut:
    async with _accounts(pool) as conn:
        user = await accounts.add_user(
            conn,
            username=body.username,
            role=body.role.value,
            unit_code=body.unit_code,
            password=body.password,
            actor=staff.username,
        )
    return UserOut.model_validate(dict(user))


@router.put("/users/{username}/password", responses=error_responses(404, 422))
async def change_password(
    username: Username, body: PasswordIn, pool: Pool, staff: Admin
) -> UserOut:
    """A new password; every token the user holds stops working."""
    async with _accounts(pool) as conn:
        user = await accounts.change_password(
            conn, username=username, password=body.password, actor=staff.username
        )
    return UserOut.model_validate(dict(user))


@router.patch("/users/{username}", responses=error_responses(404, 422))
async def update_user(username: Username, body: UserPatch, pool: Pool, staff: Admin) -> UserOut:
    """Set or remove the user's email address (audited): a unit head's 催办 notices and daily
    digest, a supervisor's monthly summary go there."""
    async with _accounts(pool) as conn:
        user = await accounts.set_email(
            conn, username=username, email=body.email, actor=staff.username
        )
    return UserOut.model_validate(dict(user))


@router.post("/users/{username}/disable", responses=error_responses(404, 422))
async def disable_user(username: Username, pool: Pool, staff: Admin) -> UserOut:
    """The user can no longer sign in, and every token it holds stops working."""
    async with _accounts(pool) as conn:
        user = await accounts.set_user_active(
            conn, username=username, active=False, actor=staff.username
        )
    return UserOut.model_validate(dict(user))


@router.post("/users/{username}/enable", responses=error_responses(404, 422))
async def enable_user(username: Username, pool: Pool, staff: Admin) -> UserOut:
    """The user may sign in again (tokens from before it was disabled stay refused)."""
    async with _accounts(pool) as conn:
        user = await accounts.set_user_active(
            conn, username=username, active=True, actor=staff.username
        )
    return UserOut.model_validate(dict(user))


@router.get("/intake-keys")
async def list_intake_keys(pool: Pool, _: Admin) -> list[IntakeKeyOut]:
    """Every key by name, channel and prefix; the keys themselves are never stored."""
    async with pool.acquire() as conn:
        return [
            IntakeKeyOut.model_validate(dict(r)) for r in await directory.list_intake_keys(conn)
        ]


@router.post("/intake-keys/{name}/revoke", responses=error_responses(404, 422))
async def revoke_intake_key(
    name: KeyName, pool: Pool, checks: IntakeChecks, staff: Admin
) -> IntakeKeyOut:
    """The key stops working at once, also for intake's copy used while PostgreSQL is down."""
    async with _accounts(pool) as conn:
        key = await accounts.revoke_intake_key(conn, name=name, actor=staff.username)
    await checks.refresh()
    return IntakeKeyOut.model_validate(dict(key))
