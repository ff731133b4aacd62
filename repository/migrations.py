"""The migration runner: the numbered plain-SQL files of migrations/, applied once each under a
PostgreSQL advisory lock, so any number of processes may start at once."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

# The repository's migrations/ beside this package; an installed image sets MIGRATIONS_DIR.
MIGRATIONS_DIR = Path(
    os.environ.get("MIGRATIONS_DIR") or Path(__file__).resolve().parent.parent / "migrations"
)
# Any fixed number works; every process that migrates takes the same lock.
MIGRATION_LOCK_ID = 7_305_118_822


def migration_files(directory: Path) -> list[tuple[str, str]]:
    """The numbered SQL files in order, as (version, text)."""
    paths = sorted(directory.glob("[0-9][0-9][0-9]_*.sql"))
    return [(p.stem, p.read_text(encoding="utf-8")) for p in paths]


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the numbered SQL files not yet applied, each in its own transaction, under a lock."""
    applied: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, sql in migration_files(directory):
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", version
                    )
                applied.append(version)
                log.info("migration_applied", version=version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()
    return applied


async def ensure_database(admin_dsn: str, name: str) -> None:
    """Create the application's database on a fresh server (the embedded one), once."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
