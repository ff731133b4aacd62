"""The asyncpg pool, shared by the API, the worker and the CLI, and what counts as PostgreSQL
being unreachable."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import asyncpg

# Failures of reaching PostgreSQL (down, restarting, refusing connections, an unreachable host),
# as opposed to a statement's own error.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,  # the connection was lost under a statement
    asyncpg.InternalClientError,  # a connection left mid-statement by a lost backend
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutting down, restarting, backend terminated
    asyncpg.ObjectNotInPrerequisiteStateError,  # the database is not accepting connections
)


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond what asyncpg always does (roll
    back a transaction left open, drop listeners): nothing. asyncpg's default also sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`, one more round trip on
    every release, for session state this code never leaves on a pooled connection: no SET or
    set_config outside a transaction (SET LOCAL ends with it), no LISTEN, no cursor outside a
    transaction, no session advisory lock (the migrations take theirs on a connection of their
    own). Whoever adds such state to a pooled connection must undo it before releasing it."""


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    on_connect: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    """A pool whose connections read and write jsonb as Python objects; on_connect runs on each
    new connection after that (a benchmark counts the statements with it)."""

    async def init(conn: asyncpg.Connection) -> None:
        await init_connection(conn)
        if on_connect is not None:
            await on_connect(conn)

    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=init, reset=keep_session
    )
