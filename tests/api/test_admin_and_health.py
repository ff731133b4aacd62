"""The admin directory, health probes, and routing changes taking effect for new inquiries."""

from __future__ import annotations

import uuid

from temporalio.client import Client

from api.app import create_app
from tests.conftest import Service, inquiry_body


async def test_admin_changes_the_directory_and_routing_follows(service: Service) -> None:
    admin = await service.staff("admin")
    suffix = uuid.uuid4().hex[:6]
    unit = await service.http.post(
        "/api/v1/admin/units",
        json={"code": f"meters_{suffix}", "name": "Meter workshop", "name_zh": "水表所"},
        headers=admin,
    )
    assert unit.status_code == 201, unit.text
    again = await service.http.post(
        "/api/v1/admin/units", json={"code": f"meters_{suffix}", "name": "x"}, headers=admin
    )
    assert again.status_code == 409 and again.json()["code"] == "already_exists"

    category = await service.http.post(
        "/api/v1/admin/categories",
        json={
            "code": f"meter_{suffix}",
            "name": "Meter fault",
            "name_zh": "水表故障",
            "clock": "working_days",
            "reply_within": 3,
            "level2_grace": 1,
        },
        headers=admin,
    )
    assert category.status_code == 201, category.text
    assert category.json()["reply_within"] == 3.0
    bad_policy = await service.http.post(
        "/api/v1/admin/categories",
        json={"code": f"bad_{suffix}", "name": "x", "clock": "lunar", "reply_within": 0,
              "level2_grace": 1},
        headers=admin,
    )  # fmt: skip
    assert bad_policy.status_code == 422

    rule = await service.http.post(
        "/api/v1/admin/routing-rules",
        json={
            "name": f"meter-rule-{suffix}",
            "priority": 5,
            "category": f"meter_{suffix}",
            "unit_code": f"meters_{suffix}",
        },
        headers=admin,
    )
    assert rule.status_code == 201, rule.text
    dangling = await service.http.post(
        "/api/v1/admin/routing-rules",
        json={"name": f"dangling-{suffix}", "priority": 5, "unit_code": "no_such_unit"},
        headers=admin,
    )
    assert dangling.status_code == 422 and dangling.json()["code"] == "unknown_reference"

    key = await service.intake_key("web")
    created = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(f"meter_{suffix}", content="水表不走"), headers=key
    )
    unit_code = await service.wait_for(
        "SELECT unit_code FROM inquiries WHERE id = $1::uuid", created.json()["id"]
    )
    assert unit_code == f"meters_{suffix}"

    renamed = await service.http.patch(
        f"/api/v1/admin/units/meters_{suffix}", json={"name": "Meter centre"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Meter centre"
    missing = await service.http.patch(
        "/api/v1/admin/units/no_such_unit", json={"name": "x"}, headers=admin
    )
    assert missing.status_code == 404
    off = await service.http.patch(
        f"/api/v1/admin/routing-rules/{rule.json()['id']}", json={"active": False}, headers=admin
    )
    assert off.status_code == 200 and off.json()["active"] is False
    rules = await service.http.get("/api/v1/admin/routing-rules", headers=admin)
    assert any(r["name"] == f"meter-rule-{suffix}" and not r["active"] for r in rules.json())


async def test_health_and_readiness(service: Service) -> None:
    assert (await service.http.get("/healthz")).json() == {"status": "ok"}
    ready = await service.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_readiness_names_temporal_when_it_does_not_answer(service: Service) -> None:
    import httpx

    dead = await Client.connect("127.0.0.1:1", lazy=True)
    app = create_app(service.settings, pool=service.pool, temporal=dead)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["temporal"]
    assert response.json()["code"] == "not_ready"
