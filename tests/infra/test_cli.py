"""The `inquiry` command: migrations under a lock, staff accounts and intake keys."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from api.security import hash_intake_key
from repository.migrations import MIGRATIONS_DIR
from tests.conftest import _with_database

INQUIRY = str(Path(sys.executable).parent / "inquiry")


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    name = f"inquiry_cli_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield _with_database(database_url, name)
    conn = await asyncpg.connect(database_url)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _inquiry(dsn: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "LOG_FORMAT": "json"}
    return await asyncio.to_thread(
        subprocess.run,
        [INQUIRY, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


async def test_concurrent_migrations_apply_each_file_once(empty_database: str) -> None:
    results = await asyncio.gather(*(_inquiry(empty_database, "migrate") for _ in range(3)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    outputs = sorted(r.stdout.strip() for r in results)
    assert outputs.count("applied: nothing new") == 2
    assert "001_init" in outputs[0]
    conn = await asyncpg.connect(empty_database)
    try:
        versions = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    expected = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))
    assert [v["version"] for v in versions] == expected


async def test_user_and_intake_key_commands(database_url: str, pool: asyncpg.Pool) -> None:
    username = f"cli-{uuid.uuid4().hex[:6]}"
    added = await _inquiry(
        database_url,
        "user", "add", "--username", username, "--role", "handler", "--unit", "drainage",
        stdin="a-long-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "a-long-password" not in added.stdout + added.stderr
    taken = await _inquiry(
        database_url, "user", "add", "--username", username, "--role", "operator", stdin="x" * 9
    )
    assert taken.returncode != 0 and "taken" in taken.stderr
    unitless = await _inquiry(
        database_url, "user", "add", "--username", f"{username}-2", "--role", "handler",
        stdin="a-long-password\n",
    )  # fmt: skip
    assert unitless.returncode != 0 and "unit" in unitless.stderr

    name = f"portal-{uuid.uuid4().hex[:6]}"
    key = await _inquiry(database_url, "intake-key", "add", "--name", name, "--channel", "minxin")
    assert key.returncode == 0, key.stderr
    printed = key.stdout.strip()
    assert printed.startswith("ik_")
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT channel, key_hash FROM intake_keys WHERE name = $1", name)
        user = await conn.fetchrow(
            "SELECT role, unit_code, password_hash FROM users WHERE username = $1", username
        )
    finally:
        await conn.close()
    assert row["channel"] == "minxin"
    assert row["key_hash"] == hash_intake_key(printed)  # only the hash is stored
    assert user["role"] == "handler" and user["unit_code"] == "drainage"
    assert user["password_hash"].startswith("$argon2")
    wrong = await _inquiry(database_url, "intake-key", "add", "--name", "x", "--channel", "fax")
    assert wrong.returncode != 0 and "unknown channel" in wrong.stderr
