"""Passwords (argon2), bearer tokens (JWT) and intake keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
JWT_ALGORITHM = "HS256"
INTAKE_KEY_PREFIX = "ik_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the user does not exist, so a wrong username costs as much as a wrong password.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def issue_token(*, username: str, role: str, secret: str, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(token: str, *, secret: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is forged, malformed or expired."""
    try:
        return jwt.decode(token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["sub"]})
    except jwt.PyJWTError:
        return None


def new_intake_key() -> str:
    return INTAKE_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_intake_key(key: str) -> str:
    """Intake keys are long random strings, so a plain SHA-256 suffices to store them."""
    return hashlib.sha256(key.encode()).hexdigest()
