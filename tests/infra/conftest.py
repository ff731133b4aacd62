"""A Stack per test: its own var/ and ports, and a database of its own on the test server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import _with_database
from tests.infra.stack import Stack


@pytest.fixture
async def stack(tmp_path: Path, database_url: str) -> AsyncIterator[Stack]:
    """`inquiry` on an empty database (it migrates it itself), Temporal embedded."""
    name = f"inquiry_run_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    running = Stack(home=tmp_path, database_url=_with_database(database_url, name))
    try:
        yield running
    finally:
        running.cleanup()
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.fixture
def embedded_stack(tmp_path: Path) -> Iterator[Stack]:
    """`inquiry` with no DATABASE_URL: PostgreSQL from pgserver under the test's var/pg."""
    running = Stack(home=tmp_path, database_url=None)
    try:
        yield running
    finally:
        running.cleanup()
