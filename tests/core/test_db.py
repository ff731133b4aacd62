"""The pool's connections are released without a reset statement (core/db.py), and a
transaction left open is still rolled back on release, so the next acquirer starts clean."""

from __future__ import annotations

from core.db import PooledConnection, create_pool


async def test_a_released_connection_has_no_transaction_left_open(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            assert isinstance(conn, PooledConnection)
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS released (n int)")
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO released VALUES (1)")
        async with pool.acquire() as conn:  # the same connection: the pool holds one
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM released") == 0
    finally:
        await pool.close()
