"""Staff sign-in: OAuth2 password form in, bearer JWT out; failed sign-ins back off."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AppSettings, LoginGuards, Pool, authenticate
from api.errors import ApiError, error_responses
from api.schemas import Token
from api.security import issue_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses=error_responses(401, 422, 429))
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    pool: Pool,
    settings: AppSettings,
    guard: LoginGuards,
) -> Token:
    """A bearer token; after repeated failures the account or address waits (429, Retry-After)."""
    client = request.client.host if request.client else "unknown"
    wait = guard.wait_seconds(username=form.username, client=client)
    if wait:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    user = await authenticate(pool, form.username, form.password)
    if user is None:
        guard.failed(username=form.username, client=client)
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    guard.succeeded(username=form.username)
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    return Token(
        access_token=issue_token(
            username=user["username"],
            role=user["role"],
            version=user["token_version"],
            secret=settings.jwt_secret,
            ttl=ttl,
        ),
        expires_in=int(ttl.total_seconds()),
    )
