"""The asyncpg pool, shared by the API, the worker and the CLI, and what counts as PostgreSQL
being unreachable."""

from __future__ import annotations

import json

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


class PooledConnection(asyncpg.Connection):
    """A connection that keeps no session state between acquirers, so releasing it to the pool
    needs no reset statement.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release: a round trip per activity and per request. Nothing acquired from the pool
    takes a session-level advisory lock, LISTENs, holds a cursor past its transaction or SETs a
    session variable (the migrations' lock is on a connection of its own); asyncpg still rolls
    back a transaction left open and drops listeners on release, whatever this returns.
    """

    def get_reset_query(self) -> str:
        return ""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections read and write jsonb as Python objects."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        connection_class=PooledConnection,
    )
