"""DATABASE_POOL_SIZE bounds the connections one API process opens (README "Scaling")."""

from __future__ import annotations

import os

import asyncpg
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings


async def test_the_api_opens_its_pool_with_database_pool_size(
    database_url: str, pool: asyncpg.Pool, temporal_env: WorkflowEnvironment
) -> None:
    settings = Settings(
        environment="test",
        database_url=database_url,
        database_pool_size=3,
        payload_keys=os.environ["PAYLOAD_KEYS"],
    )
    app = create_app(settings, temporal=temporal_env.client)

    async with app.router.lifespan_context(app):
        own: asyncpg.Pool = app.state.pool
        assert own is not pool
        assert own.get_max_size() == 3
        async with own.acquire() as conn:
            assert await conn.fetchval("SELECT 1") == 1
