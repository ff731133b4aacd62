"""Staff email addresses: set and removed by admins (API) and operators (CLI), checked, audited,
and never written to the log in clear."""

from __future__ import annotations

import uuid

import asyncpg

from infra.accounts import add_user
from tests.conftest import PASSWORD, Service
from tests.infra.test_cli import _inquiry


async def _user(service: Service, role: str, unit: str | None = None) -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await add_user(conn, username=username, role=role, unit_code=unit, password=PASSWORD)
    return username


async def test_an_admin_sets_checks_and_removes_a_staff_email(service: Service) -> None:
    admin = await service.staff("admin")
    head = await _user(service, "unit_head", "water_quality")
    url = f"/api/v1/admin/users/{head}"

    set_ = await service.http.patch(
        url, json={"email": " Wang.Head@Water.Example.CN "}, headers=admin
    )
    assert set_.status_code == 200, set_.text
    assert set_.json()["email"] == "Wang.Head@water.example.cn"
    listed = await service.http.get("/api/v1/admin/users", headers=admin)
    assert {u["username"]: u["email"] for u in listed.json()}[head] == "Wang.Head@water.example.cn"

    for bad in (
        "not-an-address",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "x" * 250 + "@e.cn",
        42,
    ):
        refused = await service.http.patch(url, json={"email": bad}, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["code"] == "validation_error"
    assert (await service.http.patch(url, json={}, headers=admin)).status_code == 422
    assert (
        await service.http.patch(url, json={"email": None, "role": "admin"}, headers=admin)
    ).status_code == 422

    removed = await service.http.patch(url, json={"email": None}, headers=admin)
    assert removed.status_code == 200 and removed.json()["email"] is None
    missing = await service.http.patch(
        "/api/v1/admin/users/nobody-here", json={"email": "a@example.com"}, headers=admin
    )
    assert missing.status_code == 404
    supervisor = await service.staff("supervisor")
    forbidden = await service.http.patch(url, json={"email": "a@example.com"}, headers=supervisor)
    assert forbidden.status_code == 403

    async with service.pool.acquire() as conn:
        audit = await conn.fetch(
            "SELECT action, before, after FROM audit_log WHERE target = $1 AND action = 'user.email'"
            " ORDER BY id",
            head,
        )
    assert [(r["before"]["email"], r["after"]["email"]) for r in audit] == [
        (None, "Wang.Head@water.example.cn"),
        ("Wang.Head@water.example.cn", None),
    ]


async def test_the_command_line_sets_and_clears_an_email_and_never_prints_it(
    database_url: str, pool: asyncpg.Pool
) -> None:
    username = f"head-{uuid.uuid4().hex[:6]}"
    async with pool.acquire() as conn:
        await add_user(
            conn, username=username, role="unit_head", unit_code="water_quality", password=PASSWORD
        )
    address = f"{username}@water.example.cn"
    set_ = await _inquiry(database_url, "user", "email", username, address)
    assert set_.returncode == 0, set_.stderr
    assert address not in set_.stdout + set_.stderr
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT email FROM users WHERE username = $1", username) == address
        )

    bad = await _inquiry(database_url, "user", "email", username, "no-at-sign")
    assert bad.returncode != 0 and "not a well-formed email address" in bad.stderr
    neither = await _inquiry(database_url, "user", "email", username)
    assert neither.returncode != 0 and "--clear" in neither.stderr
    nobody = await _inquiry(database_url, "user", "email", "no-such-user", "a@example.com")
    assert nobody.returncode != 0 and "no user" in nobody.stderr

    cleared = await _inquiry(database_url, "user", "email", username, "--clear")
    assert cleared.returncode == 0, cleared.stderr
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT email FROM users WHERE username = $1", username) is None
        actions = await conn.fetch(
            "SELECT actor FROM audit_log WHERE target = $1 AND action = 'user.email'", username
        )
    assert [r["actor"] for r in actions] == ["cli", "cli"]
