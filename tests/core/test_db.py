"""The pool hands out connections as clean as it needs them: a transaction left open is rolled
back on release, without asyncpg's extra reset round trip (core.db.keep_session)."""

from __future__ import annotations

from core.db import create_pool

TEMP_TABLES = (
    "SELECT count(*) FROM pg_tables WHERE tablename = 'left_open' AND schemaname LIKE 'pg_temp%'"
)


async def test_a_transaction_left_open_is_rolled_back_when_the_connection_returns(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE left_open (k text)")
            inside = await conn.fetchval(TEMP_TABLES)
            first_backend = conn.get_server_pid()
        async with pool.acquire() as conn:
            in_transaction = conn.is_in_transaction()
            same_backend = conn.get_server_pid() == first_backend
            after = await conn.fetchval(TEMP_TABLES)
    finally:
        await pool.close()
    assert inside == 1, "the probe's table was not created"
    assert same_backend, "a pool of one connection handed out another backend"
    assert not in_transaction, "the connection came back inside the transaction left open"
    assert after == 0, "what the transaction left open created is still there"
