"""Staff sign-in: OAuth2 password form in, bearer JWT out."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AppSettings, Pool, authenticate
from api.errors import ApiError, error_responses
from api.schemas import Token
from api.security import issue_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses=error_responses(401, 422))
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], pool: Pool, settings: AppSettings
) -> Token:
    user = await authenticate(pool, form.username, form.password)
    if user is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    return Token(
        access_token=issue_token(
            username=user["username"], role=user["role"], secret=settings.jwt_secret, ttl=ttl
        ),
        expires_in=int(ttl.total_seconds()),
    )
