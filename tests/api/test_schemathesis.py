"""schemathesis against the real service over HTTP, as an anonymous caller, a handler and an
admin: no answer may be a 5xx, and answers must match the schema they declare.

It runs on a database of its own (generated admin calls change units, categories and the
calendar), with the worker running, in a bounded number of cases per operation and phase.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.db import create_pool
from core.settings import Settings
from infra.accounts import add_user, load_demo_data
from infra.cli import api_server
from repository.migrations import migrate
from tests.conftest import PASSWORD, _with_database
from worker import build_worker

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Cases per operation and phase; raise it for a longer hunt (SCHEMATHESIS_EXAMPLES=200).
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"


@dataclass
class Served:
    base_url: str
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
async def served(database_url: str, temporal_env: WorkflowEnvironment) -> AsyncIterator[Served]:
    name = f"inquiry_st_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    dsn = _with_database(database_url, name)
    await migrate(dsn)
    pool = await create_pool(dsn, max_size=10)
    await load_demo_data(pool)
    settings = Settings(
        environment="test",
        database_url=dsn,
        task_queue=f"st-{uuid.uuid4().hex[:8]}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        reply_wait_seconds=2,
        body_timeout_seconds=5,
        # High enough that the public routes (lookups, Open311) answer generated cases rather
        # than 429; the limit itself is tested in tests/pages/test_protection.py and
        # tests/api/test_open311.py.
        public_rate_per_minute=100_000,
    )
    app = create_app(settings, pool=pool, temporal=temporal_env.client)
    server = api_server(app, settings, host="127.0.0.1", port=0)
    server_task = asyncio.create_task(server.serve())
    while not server.started:
        if server_task.done():
            server_task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    worker = build_worker(temporal_env.client, pool, task_queue=settings.task_queue)
    worker_task = asyncio.create_task(worker.run())
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    async with httpx.AsyncClient(base_url=base_url) as http:
        for role, unit in (("handler", "pipe_repair"), ("admin", None)):
            username = f"st-{role}"
            async with pool.acquire() as conn:
                await add_user(
                    conn, username=username, role=role, unit_code=unit, password=PASSWORD
                )
            token = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            headers[role] = {"Authorization": f"Bearer {token.json()['access_token']}"}
    try:
        yield Served(base_url=base_url, headers=headers)
    finally:
        await worker.shutdown()
        await worker_task
        server.should_exit = True
        await server_task
        await pool.close()
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("principal", ["anonymous", "handler", "admin"])
async def test_no_generated_request_gets_a_server_error(
    served: Served, principal: str, tmp_path: Path
) -> None:
    args = [
        SCHEMATHESIS, "run", f"{served.base_url}/openapi.json",
        "--checks", CHECKS,
        "--phases", PHASES,
        "--max-examples", EXAMPLES,
        "--seed", "8",
        "--workers", "2",
        "--generation-database", "none",
        "--generation-allow-x00", "true",
        "--suppress-health-check", "all",
        "--request-timeout", "30",
        "--no-color",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    for name, value in served.headers[principal].items():
        args += ["-H", f"{name}: {value}"]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-20_000:]
