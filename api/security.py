"""Bearer tokens (JWT) and the backoff on failed sign-ins; hashing is in service/accounts.py."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from core.settings import Settings
from service.accounts import DUMMY_HASH as DUMMY_HASH
from service.accounts import hash_intake_key as hash_intake_key  # re-exported for routes
from service.accounts import verify_password as verify_password

JWT_ALGORITHM = "HS256"


def issue_token(*, username: str, role: str, version: int, secret: str, ttl: timedelta) -> str:
    """A bearer token; `ver` is the user's token version, bumped to revoke every older token."""
    now = datetime.now(UTC)
    claims = {"sub": username, "role": role, "ver": version, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(token: str, *, secret: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is forged, malformed, expired or never expires."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "exp", "ver"]},
        )
    except jwt.PyJWTError:
        return None
    if not isinstance(claims["sub"], str) or type(claims["ver"]) is not int:
        return None
    return claims


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class LoginGuard:
    """Backoff on failed sign-ins, per account and per client address, in this process.

    After `account_limit` failures in a row an account waits `backoff` seconds, twice as long
    after each further failure (up to `max_backoff`); a client address likewise after
    `client_limit` failures across any accounts. A success clears the account's count (not the
    client's, so one good account does not buy an address more guesses).
    """

    account_limit: int = 5
    client_limit: int = 20
    backoff: float = 30.0
    max_backoff: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    max_entries: int = 100_000
    _accounts: dict[str, _Failures] = field(default_factory=dict)
    _clients: dict[str, _Failures] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginGuard:
        return cls(
            account_limit=settings.login_account_failures,
            client_limit=settings.login_client_failures,
            backoff=settings.login_backoff_seconds,
            max_backoff=settings.login_backoff_max_seconds,
        )

    def wait_seconds(self, *, username: str, client: str) -> int:
        """How long this sign-in must wait (0: it may try now), whole seconds for Retry-After."""
        now = self.clock()
        waits = [
            f.locked_until - now
            for f in (self._accounts.get(username), self._clients.get(client))
            if f is not None
        ]
        longest = max(waits, default=0.0)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, *, username: str, client: str) -> None:
        self._prune()
        now = self.clock()
        for table, key, limit in (
            (self._accounts, username, self.account_limit),
            (self._clients, client, self.client_limit),
        ):
            entry = table.setdefault(key, _Failures())
            entry.count += 1
            if entry.count >= limit:
                wait = min(self.backoff * 2 ** (entry.count - limit), self.max_backoff)
                entry.locked_until = now + wait

    def succeeded(self, *, username: str) -> None:
        self._accounts.pop(username, None)

    def _prune(self) -> None:
        """Forget unlocked entries once the tables grow large (a flood of made-up names)."""
        now = self.clock()
        for table in (self._accounts, self._clients):
            if len(table) >= self.max_entries:
                for key in [k for k, f in table.items() if f.locked_until <= now]:
                    del table[key]
