"""An inquiry from an intake form to the citizen's answer, through the HTTP API."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import Service, inquiry_body


async def test_intake_to_feedback(service: Service) -> None:
    key = await service.intake_key("web")
    handler = await service.staff("handler", "pipe_repair")

    created = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert created.status_code == 201, created.text
    inquiry = created.json()
    assert inquiry["status"] == "received"
    assert inquiry["tracking_code"].startswith("WQ")

    # The burst-main rule names pipe-network repair; the task appears in its list.
    await service.wait_for(
        "SELECT 1 FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'", inquiry["id"]
    )
    tasks = (await service.http.get("/api/v1/tasks", headers=handler)).json()
    task = next(t for t in tasks["items"] if t["inquiry_id"] == inquiry["id"])
    assert tasks["unit"] == "pipe_repair"
    assert task["category"] == "outage"
    # 停水/爆管: sign for within 30 minutes, reply within 4 hours, both from the dispatch.
    async with service.pool.acquire() as conn:
        dispatched = await conn.fetchval(
            "SELECT dispatched_at FROM inquiries WHERE id = $1::uuid", inquiry["id"]
        )
    assert datetime.fromisoformat(task["ack_due_at"]) - dispatched == timedelta(minutes=30)
    assert datetime.fromisoformat(task["due_at"]) - dispatched == timedelta(hours=4)

    seen = (await service.http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=handler)).json()
    assert seen["unit"] == "pipe_repair"
    assert seen["routing_rule"] == "burst-main"
    assert seen["channel"] == "web"
    assert seen["reply_due_at"] is not None and seen["due_provisional"] is False

    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry['id']}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "handling"

    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry['id']}/reply",
        json={"content": "抢修队已到场，今晚22点前恢复供水。"},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"  # 回访: waiting for the citizen's rating
    assert replied.json()["on_time"] is True
    # The outbox dispatcher delivers the answer apart from the case (README: Notifications).
    await service.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND audience = 'citizen'"
        " AND kind = 'feedback' AND status = 'sent'",
        inquiry["id"],
    )

    public = await service.http.get(f"/api/v1/public/inquiries/{inquiry['tracking_code']}")
    assert public.status_code == 200
    view = public.json()
    assert view["status"] == "follow_up" and view["awaiting"] == "rating"
    assert view["reply"] == "抢修队已到场，今晚22点前恢复供水。"
    assert view["feedback_sent_at"] is not None

    rated = await service.http.post(
        f"/api/v1/public/inquiries/{inquiry['tracking_code']}/rating",
        json={"rating": "satisfied", "comment": "很快"},
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"

    detail = (await service.http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=handler)).json()
    assert detail["feedback_sent"] is True
    assert detail["feedback"][0]["channel"] == "sms"
    assert detail["feedback"][0]["recipient"] == "138****5678"
    assert detail["on_time"] is True
    assert detail["status"] == "closed"
    assert [e["kind"] for e in detail["timeline"]] == [
        "received",
        "dispatched",
        "acknowledged",
        "replied",
        "closed",
    ]
    async with service.pool.acquire() as conn:
        outbox = await conn.fetchrow(
            "SELECT channel, recipient_masked, status, body FROM notifications"
            " WHERE inquiry_id = $1::uuid AND audience = 'citizen'",
            inquiry["id"],
        )
    assert outbox["status"] == "sent"
    assert outbox["recipient_masked"] == "138****5678"
    assert inquiry["tracking_code"] in outbox["body"]


async def test_unmatched_inquiry_goes_to_the_open_affairs_office(service: Service) -> None:
    operator = await service.staff("operator")
    body = inquiry_body("complaint", content="营业厅工作人员态度不好", channel="hotline")
    created = await service.http.post("/api/v1/inquiries", json=body, headers=operator)
    assert created.status_code == 201, created.text
    unit = await service.wait_for(
        "SELECT unit_code FROM inquiries WHERE id = $1::uuid", created.json()["id"]
    )
    assert unit == "open_affairs"
    async with service.pool.acquire() as conn:
        channel = await conn.fetchval(
            "SELECT channel FROM inquiries WHERE id = $1::uuid", created.json()["id"]
        )
    assert channel == "hotline"
