"""Idempotent intake, and bad input refused with a clear 4xx and nothing written."""

from __future__ import annotations

import pytest

from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body


async def _counts(service: Service) -> tuple[int, int]:
    async with service.pool.acquire() as conn:
        return (
            await conn.fetchval("SELECT count(*) FROM inquiries"),
            await conn.fetchval("SELECT count(*) FROM intake_requests"),
        )


async def _workflows_with(service: Service, inquiry_id: str) -> int:
    count = await service.client.count_workflows(
        f"WorkflowId = '{case_workflow_id(str(inquiry_id))}'"
    )
    return count.count


async def test_same_key_same_body_returns_the_same_inquiry(service: Service) -> None:
    key = await service.intake_key("web")
    headers = {**key, "Idempotency-Key": "form-submission-0001"}
    body = inquiry_body()
    first = await service.http.post("/api/v1/inquiries", json=body, headers=headers)
    second = await service.http.post("/api/v1/inquiries", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["tracking_code"] == first.json()["tracking_code"]
    await service.wait_for("SELECT 1 FROM inquiries WHERE id = $1::uuid", first.json()["id"])
    async with service.pool.acquire() as conn:
        rows = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE external_ref = $1", body["external_ref"]
        )
    assert rows == 1
    assert await _workflows_with(service, first.json()["id"]) == 1

    changed = await service.http.post(
        "/api/v1/inquiries", json={**body, "content": "另一件事"}, headers=headers
    )
    assert changed.status_code == 409
    assert changed.json()["code"] == "idempotency_conflict"

    # Keys are per client: another form may use the same key for its own inquiry.
    other = {**(await service.intake_key("web")), "Idempotency-Key": "form-submission-0001"}
    elsewhere = await service.http.post("/api/v1/inquiries", json=body, headers=other)
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]


BAD_BODIES = {
    "unknown category": (inquiry_body("no_such_category"), 422, "unknown_category"),
    "empty content": (inquiry_body(content="   "), 422, "validation_error"),
    "content too long": (inquiry_body(content="水" * 10_001), 422, "validation_error"),
    "invalid phone": (
        inquiry_body(citizen={"name": "李四", "phone": "12345"}),
        422,
        "validation_error",
    ),
    "no contact": (inquiry_body(citizen={"name": "李四"}), 422, "validation_error"),
    "bad email": (inquiry_body(citizen={"email": "not-an-email"}), 422, "validation_error"),
    "unknown field": ({**inquiry_body(), "priority": "vip"}, 422, "validation_error"),
    "wrong channel for the key": (inquiry_body(channel="hotline"), 422, "channel_mismatch"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_input_is_refused_and_nothing_is_written(service: Service, case: str) -> None:
    body, status, code = BAD_BODIES[case]
    key = {**(await service.intake_key("web")), "Idempotency-Key": f"bad-{case}"}
    before = await _counts(service)
    response = await service.http.post("/api/v1/inquiries", json=body, headers=key)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert await _counts(service) == before


async def test_malformed_json_is_400(service: Service) -> None:
    key = await service.intake_key("web")
    before = await _counts(service)
    response = await service.http.post(
        "/api/v1/inquiries",
        content=b'{"category": "outage", "content": ',
        headers={**key, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert await _counts(service) == before


async def test_operator_must_name_the_channel(service: Service) -> None:
    operator = await service.staff("operator")
    missing = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=operator)
    assert missing.status_code == 422 and missing.json()["code"] == "channel_required"
    handler = await service.staff("handler", "pipe_repair")
    refused = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(channel="hotline"), headers=handler
    )
    assert refused.status_code == 403


async def test_reply_to_a_closed_inquiry_is_409(service: Service) -> None:
    key = await service.intake_key("web")
    handler = await service.staff("handler", "pipe_repair")
    created = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    ).json()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", created["id"]
    )
    path = f"/api/v1/inquiries/{created['id']}/reply"
    first = await service.http.post(path, json={"content": "已处理"}, headers=handler)
    assert first.status_code == 200
    again = await service.http.post(path, json={"content": "再答一次"}, headers=handler)
    assert again.status_code == 409
    # The workflow's validator answers (the case is follow_up), with the code every action
    # refused for the case's state gets; the first version's cases still say not_awaiting_reply.
    assert again.json()["code"] == "wrong_state"
    empty = await service.http.post(path, json={"content": ""}, headers=handler)
    assert empty.status_code == 422
