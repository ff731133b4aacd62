"""Webhooks: an admin registers a receiver for some case events; each event arrives signed
(t=…,v1=…), retried after a failure, once per delivery id, with no personal data; the attempts
are visible to the admin."""

from __future__ import annotations

import json

from tests.conftest import Service
from tests.integrations.receivers import WebhookReceiver
from tests.integrations.test_delivery import file_and_reply


async def test_a_webhook_receives_the_events_it_asked_for_signed_and_retried(
    delivering: Service, receiver: WebhookReceiver
) -> None:
    admin = await delivering.staff("admin")
    receiver.fail_first = 1  # the first delivery is answered 500 and retried
    created = await delivering.http.post(
        "/api/v1/admin/webhooks",
        json={
            "url": receiver.url,
            "secret": receiver.secret,
            "events": ["replied", "acknowledged"],
            "description": "city portal",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert "secret" not in hook and hook["active"] is True
    try:
        inquiry = await file_and_reply(
            delivering, {"name": "周八", "phone": "13512345678", "email": "zhou@example.com"}
        )
        await delivering.wait_for(
            "SELECT count(*) = 2 FROM notifications WHERE webhook_id = $1 AND status = 'sent'"
            " AND inquiry_id = $2::uuid",
            hook["id"],
            inquiry["id"],
        )
        mine = [e for e in receiver.received if e["data"]["inquiry_id"] == inquiry["id"]]
        assert sorted(e["type"] for e in mine) == ["acknowledged", "replied"]
        replied = next(e for e in mine if e["type"] == "replied")
        assert replied["data"]["tracking_code"] == inquiry["tracking_code"]
        assert replied["data"]["unit"] == "pipe_repair"
        raw = json.dumps(mine, ensure_ascii=False)
        for private in ("13512345678", "周八", "zhou@example.com"):
            assert private not in raw, private
        assert receiver.refused == 0, "every delivery carried a valid signature"
        assert all(receiver.seen[e["id"]] == 1 for e in mine)

        listed = await delivering.http.get(
            f"/api/v1/admin/webhooks/{hook['id']}/deliveries", headers=admin
        )
        assert listed.status_code == 200, listed.text
        deliveries = [d for d in listed.json() if d["inquiry_id"] == inquiry["id"]]
        assert sorted(d["attempts"] for d in deliveries) == [1, 2], deliveries
        assert {d["status"] for d in deliveries} == {"sent"}
        retried = next(d for d in deliveries if d["attempts"] == 2)
        assert retried["last_error"] is None and retried["sent_at"] is not None

        # Events it did not ask for are not sent.
        assert not [e for e in mine if e["type"] == "dispatched"]
    finally:
        deleted = await delivering.http.delete(
            f"/api/v1/admin/webhooks/{hook['id']}", headers=admin
        )
        assert deleted.status_code == 200, deleted.text
    gone = await delivering.http.get(f"/api/v1/admin/webhooks/{hook['id']}", headers=admin)
    assert gone.status_code == 404


async def test_webhooks_are_for_admins_and_refuse_bad_input(delivering: Service) -> None:
    operator = await delivering.staff("operator")
    admin = await delivering.staff("admin")
    body = {"url": "https://portal.example.cn/hook", "secret": "s" * 20, "events": ["closed"]}
    refused = await delivering.http.post("/api/v1/admin/webhooks", json=body, headers=operator)
    assert refused.status_code == 403
    short = await delivering.http.post(
        "/api/v1/admin/webhooks", json={**body, "secret": "short"}, headers=admin
    )
    assert short.status_code == 422
    bad_url = await delivering.http.post(
        "/api/v1/admin/webhooks", json={**body, "url": "ftp://x"}, headers=admin
    )
    assert bad_url.status_code == 422
    async with delivering.pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM webhooks WHERE url IN ('https://portal.example.cn/hook', 'ftp://x')"
        )
    assert count == 0
    paused = await delivering.http.patch("/api/v1/admin/webhooks/999999", json={}, headers=admin)
    assert paused.status_code == 404
    # An id past PostgreSQL's bigint is refused as bad input (it was a 500 on DELETE, found by
    # schemathesis), on every route that takes one.
    too_big = 2**63
    answers = [
        await delivering.http.get(f"/api/v1/admin/webhooks/{too_big}", headers=admin),
        await delivering.http.patch(f"/api/v1/admin/webhooks/{too_big}", json={}, headers=admin),
        await delivering.http.delete(f"/api/v1/admin/webhooks/{too_big}", headers=admin),
        await delivering.http.get(f"/api/v1/admin/webhooks/{too_big}/deliveries", headers=admin),
    ]
    assert [a.status_code for a in answers] == [422] * 4, [a.text for a in answers]
    assert all(a.json()["code"] for a in answers)
