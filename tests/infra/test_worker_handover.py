"""A worker stopped with SIGTERM (a deploy, a restart) hands its cached cases to the next worker
at once, however long the sticky wait.

Temporal sends a cached case's next task to the sticky queue of the worker that ran its last
one. `inquiry worker` shuts its worker down on SIGTERM, and the SDK then tells the server that
it is going, so the server sends those tasks to the shared queue. A worker killed with SIGKILL
cannot: what the server already put on its sticky queue waits out the whole sticky wait
(WORKER_STICKY_SCHEDULE_TO_START_SECONDS; docs/levers/burst.md measured both). The sticky wait
here is 120 s, so a handover that did not happen would answer the 签收 503 no_worker after the
API's 35 s, and the test would fail.
"""

from __future__ import annotations

import signal
import uuid

import asyncpg
import httpx
import pytest

from core.db import init_connection
from infra.accounts import add_user
from tests.conftest import PASSWORD, inquiry_body
from tests.infra.stack import Stack, exited, until_dispatched

pytestmark = pytest.mark.timeout(150)

STICKY_WAIT = {"WORKER_STICKY_SCHEDULE_TO_START_SECONDS": "120"}


async def _dispatched(http: httpx.AsyncClient, key: str) -> dict[str, str]:
    filed = await http.post("/api/v1/inquiries", json=inquiry_body(), headers={"X-API-Key": key})
    assert filed.status_code == 201, filed.text
    status = await until_dispatched(http, filed.json()["tracking_code"])
    assert status == "dispatched", status
    return dict(filed.json())


async def _handler_of(stack: Stack, http: httpx.AsyncClient, inquiry_id: str) -> dict[str, str]:
    """A handler of the unit the case was dispatched to, signed in."""
    assert stack.database_url is not None
    conn = await asyncpg.connect(stack.database_url)
    await init_connection(conn)
    try:
        unit = await conn.fetchval(
            "SELECT unit_code FROM inquiries WHERE id = $1::uuid", inquiry_id
        )
        username = f"handler-{uuid.uuid4().hex[:8]}"
        await add_user(conn, username=username, role="handler", unit_code=unit, password=PASSWORD)
    finally:
        await conn.close()
    token = await http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_worker_stopped_with_sigterm_hands_its_cases_to_the_next_at_once(
    stack: Stack,
) -> None:
    temporal, key = await stack.temporal_with_demo()
    first = stack.inquiry("worker", env=STICKY_WAIT)
    api = stack.inquiry("api")
    await stack.ready(api)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=60) as http:
        # Dispatched by the first worker, which keeps the case cached: its next task would go
        # to that worker's sticky queue.
        case = await _dispatched(http, key)
        handler = await _handler_of(stack, http, case["id"])

        first.send_signal(signal.SIGTERM)
        assert await exited(first, within=30) == 0, stack.output(first)[-3000:]
        second = stack.inquiry("worker", env=STICKY_WAIT)

        acknowledged = await http.post(
            f"/api/v1/inquiries/{case['id']}/acknowledge", json={}, headers=handler
        )
        assert acknowledged.status_code == 200, acknowledged.text
        assert acknowledged.json()["status"] == "handling", acknowledged.text

    for process in (api, second, temporal):
        process.send_signal(signal.SIGINT)
        assert await exited(process, within=30) == 0, stack.output(process)[-3000:]
