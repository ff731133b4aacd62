"""What intake checks before it files: the intake keys and the open categories, kept in memory too.

PostgreSQL answers while it is up. When it cannot be reached, intake checks against the copy loaded
last (refreshed every few seconds and after an admin change), so citizens can still file: the
workflow start needs Temporal only. Before the first load there is no copy, and intake answers 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import structlog

from core.db import UNREACHABLE
from repository import Conn, directory
from service.errors import RETRY_AFTER_SECONDS, ServiceError

log = structlog.get_logger(__name__)

T = TypeVar("T")

DB_WAIT = 5.0  # seconds intake waits for PostgreSQL before it counts it as down
RETRY_AFTER = str(RETRY_AFTER_SECONDS)  # when nothing can be checked


@dataclass(frozen=True)
class IntakeClient:
    """An intake form or portal, known by its key; the key fixes the channel it files on."""

    name: str
    channel: str


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached."""


async def with_db(pool: asyncpg.Pool, work: Callable[[Conn], Awaitable[T]]) -> T:
    """Run work on a connection; DatabaseUnavailable when PostgreSQL cannot be reached in time."""
    try:
        async with asyncio.timeout(DB_WAIT), pool.acquire() as conn:
            return await work(conn)
    except UNREACHABLE as exc:
        # Connections opened before an outage are dead: the pool opens new ones next time.
        await pool.expire_connections()
        raise DatabaseUnavailable(type(exc).__name__) from exc


def database_unavailable() -> ServiceError:
    return ServiceError(
        503,
        "database_unavailable",
        "the database is unavailable and intake has no copy of its directory yet; try again",
        headers={"Retry-After": RETRY_AFTER},
    )


class IntakeDirectory:
    """Intake keys and open categories: from PostgreSQL, or its last copy when it is down."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._keys: dict[str, IntakeClient] | None = None  # by key hash
        self._categories: set[str] | None = None

    @property
    def loaded(self) -> bool:
        return self._keys is not None and self._categories is not None

    async def refresh(self) -> bool:
        """Load both lists; False (the old copy kept) when PostgreSQL cannot be reached."""

        async def load(conn: Conn) -> tuple[dict[str, IntakeClient], set[str]]:
            keys = {
                r["key_hash"]: IntakeClient(name=r["name"], channel=r["channel"])
                for r in await directory.active_intake_keys(conn)
            }
            return keys, set(await directory.active_category_codes(conn))

        try:
            self._keys, self._categories = await with_db(self._pool, load)
        except DatabaseUnavailable as exc:
            log.warning("intake_directory_not_refreshed", reason=str(exc))
            return False
        return True

    async def keep_fresh(self, every: float) -> None:
        """Refresh forever (run as a task of the app): keys added by the CLI show up here."""
        while True:
            await asyncio.sleep(every)
            await self.refresh()

    async def intake_client(self, key_hash: str) -> IntakeClient | None:
        """The key's client, None when the key is unknown or revoked."""
        try:
            row = await with_db(
                self._pool, lambda conn: directory.find_intake_key(conn, key_hash=key_hash)
            )
        except DatabaseUnavailable:
            if self._keys is None:
                raise database_unavailable() from None
            return self._keys.get(key_hash)
        found = None if row is None else IntakeClient(name=row["name"], channel=row["channel"])
        if self._keys is not None:
            if found is None:
                self._keys.pop(key_hash, None)
            else:
                self._keys[key_hash] = found
        return found

    async def category_open(self, code: str) -> bool:
        """True when inquiries may be filed under the category."""
        try:
            row = await with_db(self._pool, lambda conn: directory.get_category(conn, code=code))
        except DatabaseUnavailable:
            if self._categories is None:
                raise database_unavailable() from None
            return code in self._categories
        is_open = row is not None and bool(row["active"])
        if self._categories is not None:
            (self._categories.add if is_open else self._categories.discard)(code)
        return is_open
