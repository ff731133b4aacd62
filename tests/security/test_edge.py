"""Hostile input at the edge: NUL bytes, huge numbers, explicit nulls, oversized and slow bodies
are refused with a 4xx and write nothing; every answer carries the protective headers."""

from __future__ import annotations

import asyncio
import uuid

from tests.conftest import PASSWORD, Service, inquiry_body


async def _count(service: Service, sql: str, *args: object) -> int:
    async with service.pool.acquire() as conn:
        return int(await conn.fetchval(sql, *args))


async def test_nul_bytes_are_refused_everywhere_with_422_and_nothing_recorded(
    service: Service,
) -> None:
    key = await service.intake_key("web")
    admin = await service.staff("admin")
    handler = await service.staff("handler", "pipe_repair")
    before = await _count(service, "SELECT count(*) FROM intake_requests")
    answers = [
        # intake body, in content and deep in the citizen, and as a key
        await service.http.post(
            "/api/v1/inquiries", json=inquiry_body(content="爆管\x00"), headers=key
        ),
        await service.http.post(
            "/api/v1/inquiries",
            json=inquiry_body(citizen={"name": "张\x00三", "phone": "13812345678"}),
            headers=key,
        ),
        # the login form (anonymous)
        await service.http.post(
            "/api/v1/auth/token", data={"username": "admin\x00", "password": PASSWORD}
        ),
        # the public lookup path and a public action (anonymous)
        await service.http.get("/api/v1/public/inquiries/WQ%00ABC"),
        await service.http.post(
            "/api/v1/public/inquiries/WQABC/supplement", json={"content": "a\x00b"}
        ),
        # list filters
        await service.http.get("/api/v1/inquiries", params={"unit": "x\x00"}, headers=admin),
        # admin bodies and an action body
        await service.http.post(
            "/api/v1/admin/units", json={"code": "nul_unit", "name": "a\x00"}, headers=admin
        ),
        await service.http.post(
            f"/api/v1/inquiries/{uuid.uuid4()}/reply", json={"content": "ok\x00"}, headers=handler
        ),
    ]
    for answer in answers:
        assert answer.status_code == 422, (answer.request.url, answer.text)
        assert answer.json()["code"] == "validation_error"
    assert await _count(service, "SELECT count(*) FROM intake_requests") == before
    assert await _count(service, "SELECT count(*) FROM units WHERE code = 'nul_unit'") == 0
    # A lone surrogate cannot be stored either; escaped backslashes are plain text and pass.
    surrogate = await service.http.post(
        "/api/v1/inquiries",
        content=b'{"category":"outage","content":"\\ud800","citizen":{"phone":"13812345678"}}',
        headers={**key, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 422
    text = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(content="路径 C:\\u0000 不是 NUL"), headers=key
    )
    assert text.status_code == 201, text.text


async def test_numbers_past_64_bits_explicit_nulls_and_bad_uuids_are_422(
    service: Service,
) -> None:
    admin = await service.staff("admin")
    huge = str(2**64)
    for path, params in (
        ("/api/v1/inquiries", {"offset": huge}),
        ("/api/v1/inquiries", {"limit": huge}),
        ("/api/v1/supervision/overdue", {"offset": huge}),
        ("/api/v1/admin/audit", {"offset": huge}),
    ):
        answer = await service.http.get(path, params=params, headers=admin)
        assert answer.status_code == 422, (path, answer.text)
    rule = await service.http.patch(
        f"/api/v1/admin/routing-rules/{huge}", json={"priority": 5}, headers=admin
    )
    assert rule.status_code == 422, rule.text
    for path, body in (
        ("/api/v1/admin/units/pipe_repair", {"name": None}),
        ("/api/v1/admin/categories/outage", {"reply_within": None}),
        ("/api/v1/admin/categories/outage", {"warnings": None}),
    ):
        answer = await service.http.patch(path, json=body, headers=admin)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["code"] == "validation_error"
    # null where the column may be empty still clears it
    created = await service.http.post(
        "/api/v1/admin/routing-rules",
        json={"name": f"r-{uuid.uuid4().hex[:6]}", "priority": 999_999, "unit_code": "pipe_repair",
              "district": "和平区", "active": False},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cleared = await service.http.patch(
        f"/api/v1/admin/routing-rules/{created.json()['id']}",
        json={"district": None},
        headers=admin,
    )
    assert cleared.status_code == 200 and cleared.json()["district"] is None
    operator = await service.staff("operator")
    for main in ("{" + str(uuid.uuid4()) + "}", "not-a-uuid-at-all-but-36-characters!", huge):
        merged = await service.http.post(
            f"/api/v1/inquiries/{uuid.uuid4()}/merge",
            json={"main_inquiry_id": main},
            headers=operator,
        )
        assert merged.status_code in (404, 422), (main, merged.text)
        assert merged.status_code != 500


async def test_a_declared_huge_body_is_refused_at_once_with_413(service: Service) -> None:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", int(service.base_url.rsplit(":", 1)[1])
    )
    writer.write(
        b"POST /api/v1/inquiries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000000000\r\n\r\n{"
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.read(200), timeout=3)  # answered without the body
    writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head


async def test_a_body_past_the_limit_is_413_whether_declared_or_chunked(service: Service) -> None:
    key = await service.intake_key("web")
    limit = service.settings.max_body_bytes
    big = inquiry_body(content="x" * (limit + 10))
    declared = await service.http.post("/api/v1/inquiries", json=big, headers=key)
    assert declared.status_code == 413 and declared.json()["code"] == "body_too_large"

    # No Content-Length: Transfer-Encoding: chunked, counted while it streams.
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", int(service.base_url.rsplit(":", 1)[1])
    )
    writer.write(
        b"POST /api/v1/inquiries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + key["X-API-Key"].encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 4096
    sent = 0
    try:
        while sent <= limit + len(chunk):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
    except ConnectionError:
        pass  # the server stopped reading once past the limit
    head = await asyncio.wait_for(reader.read(200), timeout=5)
    writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head


async def test_a_slow_body_over_http_is_408(service: Service) -> None:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", int(service.base_url.rsplit(":", 1)[1])
    )
    writer.write(
        b"POST /api/v1/inquiries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    head = await asyncio.wait_for(
        reader.read(200), timeout=service.settings.body_timeout_seconds + 5
    )
    writer.close()
    assert head.startswith(b"HTTP/1.1 408"), head


async def test_answers_carry_nosniff_no_store_and_no_server_banner(service: Service) -> None:
    key = await service.intake_key("web")
    created = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    token = await service.http.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password"}
    )
    public = await service.http.get(f"/api/v1/public/inquiries/{created.json()['tracking_code']}")
    health = await service.http.get("/healthz")
    for answer in (created, token, public):
        assert answer.headers["cache-control"] == "no-store", answer.request.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "server" not in answer.headers
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "server" not in health.headers
