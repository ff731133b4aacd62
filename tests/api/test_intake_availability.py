"""Read-your-writes from the 201 on, with no worker running; intake while PostgreSQL is down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import httpx

from api.app import create_app
from tests.conftest import Service, _with_database, inquiry_body


async def test_every_read_answers_from_the_201_on_while_no_worker_runs(service: Service) -> None:
    supervisor = await service.staff("supervisor")
    key = await service.intake_key("web")
    await service.stop_worker()

    filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert filed.status_code == 201, filed.text
    inquiry_id, code = filed.json()["id"], filed.json()["tracking_code"]
    base = f"/api/v1/inquiries/{inquiry_id}"

    detail = await service.http.get(base, headers=supervisor)
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "received"
    assert detail.json()["tracking_code"] == code
    assert detail.json()["content"] == inquiry_body()["content"]
    assert "派单" in detail.json()["clocks_note"]  # why no due time is shown yet
    timeline = await service.http.get(f"{base}/timeline", headers=supervisor)
    assert timeline.status_code == 200, timeline.text
    assert [e["kind"] for e in timeline.json()["events"]] == ["received"]
    sla = await service.http.get(f"{base}/sla", headers=supervisor)
    assert sla.status_code == 200, sla.text
    assert sla.json()["status"] == "received"
    public = await service.http.get(f"/api/v1/public/inquiries/{code}")
    assert public.status_code == 200, public.text
    assert public.json()["status"] == "received"
    listed = await service.http.get(
        "/api/v1/inquiries", params={"status": "received", "limit": 100}, headers=supervisor
    )
    assert inquiry_id in [i["id"] for i in listed.json()["items"]]

    # The workflow takes up the row intake wrote, and the case moves on.
    service.start_worker()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )


@asynccontextmanager
async def postgresql_down(database_url: str) -> AsyncIterator[None]:
    """The test database refuses every connection, and those open are cut, until the block ends."""
    name = database_url.split("?")[0].rsplit("/", 1)[1]
    admin = await asyncpg.connect(_with_database(database_url, "postgres"))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_intake_accepts_while_postgresql_is_down_and_the_record_appears_after(
    service: Service, database_url: str
) -> None:
    key = await service.intake_key("web")
    # The app's copy of the intake keys was loaded at its start; a key added since is copied the
    # first time PostgreSQL confirms it.
    assert (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    ).is_success
    headers = {**key, "Idempotency-Key": f"down-{uuid.uuid4().hex[:8]}"}
    body = inquiry_body()

    async with postgresql_down(database_url):
        filed_from = datetime.now(UTC)
        filed = await service.http.post("/api/v1/inquiries", json=body, headers=headers)
        filed_to = datetime.now(UTC)
        assert filed.status_code == 201, filed.text
        assert filed.json()["status"] == "received"
        # Idempotency needs no PostgreSQL either: the workflow's memo answers the repeat.
        again = await service.http.post("/api/v1/inquiries", json=body, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == filed.json()
        other = await service.http.post(
            "/api/v1/inquiries", json={**body, "content": "另一件事"}, headers=headers
        )
        assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
        unknown = await service.http.post(
            "/api/v1/inquiries", json=inquiry_body("no_such_category"), headers=key
        )
        assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_category"
        restored_at = datetime.now(UTC)

    inquiry_id = filed.json()["id"]
    await service.wait_for("SELECT 1 FROM inquiries WHERE id = $1::uuid", inquiry_id, within=60)
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT tracking_code, received_at FROM inquiries WHERE id = $1::uuid", inquiry_id
        )
    assert row["tracking_code"] == filed.json()["tracking_code"]
    # When the citizen filed, not when the record could be written.
    assert filed_from <= row["received_at"] <= filed_to < restored_at


async def test_intake_with_no_copy_of_its_checks_and_postgresql_down_is_503(
    service: Service, database_url: str
) -> None:
    key = await service.intake_key("web")
    async with postgresql_down(database_url):
        # An app started while PostgreSQL is down has nothing to check keys and categories with.
        app = create_app(service.settings, pool=service.pool, temporal=service.client)
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                response = await http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
