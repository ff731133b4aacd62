"""While Temporal or PostgreSQL is down every endpoint answers 503 naming it, with Retry-After,
never 500; intake leaves nothing half-done; everything answers again once it is back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from temporalio.client import Client

from api.app import create_app
from infra.embedded import free_port, temporal_cli
from tests.api.test_intake_availability import postgresql_down
from tests.conftest import PASSWORD, Service, inquiry_body


def _unavailable(response: httpx.Response, code: str) -> None:
    assert response.status_code == 503, (response.request.url, response.text)
    assert int(response.headers["Retry-After"]) > 0
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["code"] == code, response.text


@asynccontextmanager
async def _api(service: Service, temporal: Client) -> AsyncIterator[httpx.AsyncClient]:
    """The service's app on the test database, talking to the given Temporal client."""
    app = create_app(service.settings, pool=service.pool, temporal=temporal)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@asynccontextmanager
async def _temporal_that_dies() -> AsyncIterator[tuple[Client, asyncio.subprocess.Process]]:
    """A dev server of its own, and a client connected to it; the test kills the server."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        temporal_cli(), "server", "start-dev", "--headless", "--port", str(port),
        "--ui-port", str(free_port()), "--log-level", "error",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                break
            except RuntimeError:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError("the dev server did not start")
        yield client, server
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


async def _dispatched_case(service: Service) -> dict[str, str]:
    key = await service.intake_key("web")
    filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert filed.status_code == 201, filed.text
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", filed.json()["id"]
    )
    return dict(filed.json())


async def test_every_kind_of_endpoint_answers_503_while_postgresql_is_down(
    service: Service, database_url: str
) -> None:
    supervisor = await service.staff("supervisor")
    handler = await service.staff("handler", "pipe_repair")
    case = await _dispatched_case(service)
    base = f"/api/v1/inquiries/{case['id']}"

    async with postgresql_down(database_url):
        answers = {
            "login": await service.http.post(
                "/api/v1/auth/token", data={"username": "supervisor", "password": PASSWORD}
            ),
            "list": await service.http.get("/api/v1/inquiries", headers=supervisor),
            "detail": await service.http.get(base, headers=supervisor),
            "timeline": await service.http.get(f"{base}/timeline", headers=supervisor),
            "action": await service.http.post(f"{base}/acknowledge", json={}, headers=handler),
            "reply": await service.http.post(
                f"{base}/reply", json={"content": "已处理。"}, headers=handler
            ),
            "supervision": await service.http.get(
                "/api/v1/supervision/overdue", headers=supervisor
            ),
            "public": await service.http.get(f"/api/v1/public/inquiries/{case['tracking_code']}"),
            "page": await service.http.get(f"/track/{case['tracking_code']}"),
        }
        for answer in answers.values():
            _unavailable(answer, "database_unavailable")
        assert answers["page"].headers["content-type"].startswith("text/html")
        assert answers["page"].headers["X-Frame-Options"] == "DENY"

    # Nothing was changed, and the service answers again by itself.
    detail = await service.http.get(base, headers=supervisor)
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "dispatched"
    acknowledged = await service.http.post(f"{base}/acknowledge", json={}, headers=handler)
    assert acknowledged.status_code == 200, acknowledged.text


async def test_every_call_to_temporal_answers_503_while_it_is_down_and_intake_leaves_nothing(
    service: Service,
) -> None:
    handler = await service.staff("handler", "pipe_repair")
    key = await service.intake_key("web")
    case = await _dispatched_case(service)
    base = f"/api/v1/inquiries/{case['id']}"
    body = inquiry_body()
    headers = {**key, "Idempotency-Key": f"down-{uuid.uuid4().hex[:8]}"}

    async with _temporal_that_dies() as (client, server), _api(service, client) as http:
        server.kill()
        await server.wait()
        filed = await http.post("/api/v1/inquiries", json=body, headers=headers)
        _unavailable(filed, "temporal_unavailable")
        _unavailable(await http.post(f"{base}/acknowledge", json={}, headers=handler), "temporal_unavailable")  # fmt: skip
        _unavailable(
            await http.post(f"{base}/reply", json={"content": "已处理。"}, headers=handler),
            "temporal_unavailable",
        )
    async with service.pool.acquire() as conn:
        rows = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE external_ref = $1", body["external_ref"]
        )
    assert rows == 0  # no row without its workflow

    # No idempotency claim was left: the same request now files the inquiry, as new.
    again = await service.http.post("/api/v1/inquiries", json=body, headers=headers)
    assert again.status_code == 201, again.text
    async with service.pool.acquire() as conn:
        status = await conn.fetchval("SELECT status FROM inquiries WHERE id = $1::uuid", case["id"])
    assert status == "dispatched"  # the actions answered 503 changed nothing


async def test_intake_answers_503_when_temporal_was_down_since_the_api_started(
    service: Service,
) -> None:
    key = await service.intake_key("web")
    body = inquiry_body()
    never_up = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    async with _api(service, never_up) as http:
        filed = await http.post("/api/v1/inquiries", json=body, headers=key)
    # The form is told to come back later, with a code that names Temporal, not a 500.
    assert filed.status_code == 503, filed.text
    assert filed.json()["code"] == "temporal_unavailable", filed.text
    assert int(filed.headers["Retry-After"]) > 0
    # And nothing half-done is left behind: no inquiry row without its workflow.
    async with service.pool.acquire() as conn:
        rows = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE external_ref = $1", body["external_ref"]
        )
    assert rows == 0, "intake recorded an inquiry whose workflow never started"
