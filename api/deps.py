"""Typed dependencies: the pool, the Temporal client, settings and who is calling."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from temporalio.client import Client

from api.errors import ApiError
from api.security import DUMMY_HASH, LoginGuard, hash_intake_key, read_token, verify_password
from core.settings import Settings
from domain.case import Actor
from domain.models import Role
from repository import directory
from service.cases import CaseService
from service.intake_directory import IntakeClient as IntakeClient  # re-exported for routes
from service.intake_directory import IntakeDirectory
from service.principals import Staff as Staff  # re-exported for routes


# The app's state is untyped; these casts are where its types are stated (api.app sets them).
# Async although they only read: FastAPI runs a plain `def` dependency in its thread pool, a
# thread hop per dependency and request.
async def get_pool(request: Request) -> asyncpg.Pool:
    return cast(asyncpg.Pool, request.app.state.pool)


async def get_temporal(request: Request) -> Client:
    return cast(Client, request.app.state.temporal)


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_app_settings(request: Request) -> Settings:
    return settings_of(request)


async def get_intake_directory(request: Request) -> IntakeDirectory:
    return cast(IntakeDirectory, request.app.state.intake_directory)


async def get_login_guard(request: Request) -> LoginGuard:
    return cast(LoginGuard, request.app.state.login_guard)


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Temporal = Annotated[Client, Depends(get_temporal)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
IntakeChecks = Annotated[IntakeDirectory, Depends(get_intake_directory)]
LoginGuards = Annotated[LoginGuard, Depends(get_login_guard)]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


_UNAUTHENTICATED = ApiError(
    401, "unauthenticated", "sign in first", headers={"WWW-Authenticate": "Bearer"}
)


async def authenticate(pool: asyncpg.Pool, username: str, password: str) -> asyncpg.Record | None:
    """The active account with this password (argon2), else None: one check for token and page."""
    async with pool.acquire() as conn:
        user = await directory.get_user(conn, username=username)
    # A wrong username costs as much as a wrong password.
    valid = await verify_password(user["password_hash"] if user else DUMMY_HASH, password)
    return user if user is not None and valid and user["active"] else None


async def staff_from_token(token: str | None, pool: asyncpg.Pool, settings: Settings) -> Staff:
    """The account a signed token names, still active; 401 otherwise (bearer and cookie alike)."""
    claims = read_token(token, secret=settings.jwt_secret) if token else None
    if claims is None:
        raise _UNAUTHENTICATED
    async with pool.acquire() as conn:
        user = await directory.get_user(conn, username=claims["sub"])
    # A password change or a disabled user moves the version on: older tokens are refused.
    if user is None or not user["active"] or user["token_version"] != claims["ver"]:
        raise _UNAUTHENTICATED
    return Staff(username=user["username"], role=Role(user["role"]), unit_code=user["unit_code"])


async def current_staff(
    pool: Pool, settings: AppSettings, token: Annotated[str | None, Depends(_bearer)]
) -> Staff:
    return await staff_from_token(token, pool, settings)


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Staff]]:
    """A dependency admitting only the given roles."""

    async def _check(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if staff.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)}")
        return staff

    return _check


async def intake_caller(
    pool: Pool,
    settings: AppSettings,
    checks: IntakeChecks,
    api_key: Annotated[str | None, Depends(_api_key)],
    token: Annotated[str | None, Depends(_bearer)],
) -> IntakeClient | Staff:
    """An intake form with its key (known even while PostgreSQL is down), or an operator."""
    if api_key:
        client = await checks.intake_client(hash_intake_key(api_key))
        if client is None:
            raise ApiError(401, "invalid_api_key", "the intake key is unknown or revoked")
        return client
    staff = await staff_from_token(token, pool, settings)
    if staff.role not in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "forbidden", "only operators file inquiries")
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]

# Who may do what at all (auth rules of the endpoints; the case's own rules are the workflow's).
REPLIERS = (Role.HANDLER, Role.UNIT_HEAD)  # write the unit's reply
CITIZEN_RECORDERS = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)  # record what a citizen said


def actor_of(staff: Staff) -> Actor:
    """The caller as the case rules see them."""
    return staff.actor


async def get_case_service(pool: Pool, temporal: Temporal, settings: AppSettings) -> CaseService:
    return CaseService(
        temporal,
        pool,
        reply_wait=timedelta(seconds=settings.reply_wait_seconds),
        action_wait=timedelta(seconds=settings.action_wait_seconds),
    )


Cases = Annotated[CaseService, Depends(get_case_service)]
