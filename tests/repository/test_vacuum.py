"""The tables whose totals count index entries alone are vacuumed early (migration 011).

An index-only scan reads the table for every entry on a page the visibility map does not mark
all-visible, and every write clears a page's mark until VACUUM sets it again. PostgreSQL's
defaults wait for a fifth of a table to change; docs/levers/vacuum.md measured what that costs the
overdue total under a steady stream of writes."""

from __future__ import annotations

import asyncpg
import pytest

from repository import benchmarks as probes

CASES = 100_000  # the open cases of issue 10's target
EARLY = ("inquiries", "tasks")


async def vacuumed_after(conn: asyncpg.Connection, table: str, rows: int) -> dict[str, float]:
    """After how many changed (updated or deleted) and how many inserted rows autovacuum takes
    `table` when it holds `rows`: the table's own options, else the server's settings."""
    own = await conn.fetchval("SELECT reloptions FROM pg_class WHERE oid = $1::regclass", table)
    options = dict(option.split("=", 1) for option in own or [])

    async def setting(name: str) -> float:
        return float(options.get(name) or await conn.fetchval(f"SHOW {name}"))

    assert options.get("autovacuum_enabled", "true") == "true", f"{table}: autovacuum is off"
    return {
        "changed": await setting("autovacuum_vacuum_threshold")
        + await setting("autovacuum_vacuum_scale_factor") * rows,
        "inserted": await setting("autovacuum_vacuum_insert_threshold")
        + await setting("autovacuum_vacuum_insert_scale_factor") * rows,
    }


@pytest.mark.parametrize("table", EARLY)
async def test_a_table_counted_by_its_indexes_is_vacuumed_after_a_hundredth_of_it_changes(
    pool: asyncpg.Pool, table: str
) -> None:
    async with pool.acquire() as conn:
        after = await vacuumed_after(conn, table, CASES)
    # The server's defaults would say 20,050 changed and 21,000 inserted rows.
    assert after["changed"] <= 0.01 * CASES + 50, f"{table}: vacuumed after {after}"
    assert after["inserted"] <= 0.01 * CASES + 1_000, f"{table}: vacuumed after {after}"


async def test_the_benchmark_waits_for_a_table_that_autovacuum_would_still_take(
    pool: asyncpg.Pool,
) -> None:
    """bench/scale.py times its "idle" lists once autovacuum_pending names none of their tables:
    rows inserted past the table's threshold make it pending, a vacuum and analyze clear it."""
    table = "bench_probe_vacuum"
    async with pool.acquire() as conn:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        # Kept from autovacuum, so that only this test's VACUUM takes it.
        await conn.execute(f"CREATE TABLE {table} (id int) WITH (autovacuum_enabled = false)")
        try:
            await conn.execute(f"VACUUM ANALYZE {table}")
            await conn.execute("SELECT pg_stat_force_next_flush()")
            assert await probes.autovacuum_pending(conn, tables=[table]) == []

            await conn.execute(f"INSERT INTO {table} SELECT generate_series(1, 3000)")
            await conn.execute("SELECT pg_stat_force_next_flush()")
            assert await probes.autovacuum_pending(conn, tables=[table]) == [table]

            await conn.execute(f"VACUUM ANALYZE {table}")
            await conn.execute("SELECT pg_stat_force_next_flush()")
            assert await probes.autovacuum_pending(conn, tables=[table]) == []

            # The table's own options count, as migration 011's do: 1,100 rows inserted into
            # 3,000 stay under the server's insert threshold (1,000 + 0.2 x 3,000; analyze kept
            # out of it), and pass the table's own (1,000 + 0.01 x 3,000).
            await conn.execute(f"ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 1)")
            await conn.execute(f"INSERT INTO {table} SELECT generate_series(1, 1100)")
            await conn.execute("SELECT pg_stat_force_next_flush()")
            assert await probes.autovacuum_pending(conn, tables=[table]) == []
            await conn.execute(
                f"ALTER TABLE {table} SET (autovacuum_vacuum_insert_scale_factor = 0.01)"
            )
            assert await probes.autovacuum_pending(conn, tables=[table]) == [table]
        finally:
            await conn.execute(f"DROP TABLE {table}")
