"""A reply reaches the citizen for real: SMS through the local gateway, email through the local
SMTP server, each signed and exactly once, apart from the case; a notice that keeps failing
gives up into a task for the office."""

from __future__ import annotations

import time
from typing import Any

from domain.case import OFFICE_UNIT
from tests.conftest import Service, inquiry_body
from tests.integrations.conftest import PUBLIC_URL
from tests.integrations.receivers import SmsGateway, SmtpServer

ANSWER = "抢修队已到场，今晚22点前恢复供水。"


async def file_and_reply(service: Service, citizen: dict[str, str]) -> dict[str, Any]:
    """File an outage (routed to pipe repair), sign for it and reply; returns the inquiry."""
    key = await service.intake_key("web")
    handler = await service.staff("handler", "pipe_repair")
    created = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(citizen=citizen), headers=key
    )
    assert created.status_code == 201, created.text
    inquiry: dict[str, Any] = created.json()
    await service.wait_for(
        "SELECT 1 FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'", inquiry["id"]
    )
    base = f"/api/v1/inquiries/{inquiry['id']}"
    signed = await service.http.post(f"{base}/acknowledge", json={}, headers=handler)
    assert signed.status_code == 200, signed.text
    started = time.monotonic()
    replied = await service.http.post(f"{base}/reply", json={"content": ANSWER}, headers=handler)
    inquiry["reply_seconds"] = time.monotonic() - started
    assert replied.status_code == 200, replied.text
    return inquiry


async def feedback_state(service: Service, inquiry_id: str) -> dict[str, Any]:
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, provider_id, dedupe_key FROM notifications"
            " WHERE inquiry_id = $1::uuid AND kind = 'feedback'",
            inquiry_id,
        )
    assert row is not None, "the feedback notice is queued"
    return dict(row)


async def test_a_reply_reaches_the_sms_gateway_once_signed_with_the_tracking_link(
    delivering: Service, gateway: SmsGateway
) -> None:
    inquiry = await file_and_reply(delivering, {"name": "张三", "phone": "13812345678"})
    await delivering.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'feedback'"
        " AND status = 'sent'",
        inquiry["id"],
    )
    notice = await feedback_state(delivering, inquiry["id"])
    on_phone = gateway.sent_to_phone(ANSWER)
    assert len(on_phone) == 1, on_phone
    sms = on_phone[0]
    assert sms["to"] == "+8613812345678"
    assert sms["id"] == notice["dedupe_key"]
    assert f"查询码 {inquiry['tracking_code']}" in sms["text"], sms["text"]
    assert f"{PUBLIC_URL}/track/{inquiry['tracking_code']}" in sms["text"], sms["text"]
    assert gateway.requests.count(sms["id"]) == 1 and gateway.refused == 0
    assert notice["attempts"] == 1 and notice["provider_id"] == f"gw-{sms['id']}"

    operator = await delivering.staff("operator")
    detail = (
        await delivering.http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=operator)
    ).json()
    shown = [n for n in detail["notices"] if n["kind"] == "feedback"]
    assert [(n["channel"], n["status"], n["attempts"]) for n in shown] == [("sms", "sent", 1)]
    assert shown[0]["recipient"] == "138****5678"


async def test_a_citizen_without_a_phone_gets_the_reply_by_email(
    delivering: Service, smtp: SmtpServer
) -> None:
    inquiry = await file_and_reply(delivering, {"name": "李四", "email": "li.si@example.com"})
    await delivering.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'feedback'"
        " AND status = 'sent'",
        inquiry["id"],
    )
    notice = await feedback_state(delivering, inquiry["id"])
    mails = [m for m in smtp.messages if m["To"] == "li.si@example.com"]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    mail = mails[0]
    text = mail.get_payload(decode=True).decode()
    assert mail["From"] == "notices@wq.example.cn"
    assert inquiry["tracking_code"] in str(mail["Subject"])
    assert ANSWER in text and "Your inquiry" in text, text  # Chinese, then English
    assert f"{PUBLIC_URL}/track/{inquiry['tracking_code']}" in text
    # The Message-ID is fixed per notice: a resend after a crash is the same message.
    assert mail["Message-ID"] == notice["provider_id"]
    assert mail["Message-ID"].endswith("@wq.example.cn>")


async def test_a_slow_gateway_does_not_hold_the_case_up(
    delivering: Service, gateway: SmsGateway
) -> None:
    """The reply answers while its SMS is still with the gateway; the SMS goes once."""
    key = await delivering.intake_key("web")
    handler = await delivering.staff("handler", "pipe_repair")
    created = await delivering.http.post(
        "/api/v1/inquiries",
        json=inquiry_body(citizen={"name": "王五", "phone": "13912345678"}),
        headers=key,
    )
    inquiry = created.json()
    await delivering.wait_for(
        "SELECT 1 FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'", inquiry["id"]
    )
    base = f"/api/v1/inquiries/{inquiry['id']}"
    await delivering.http.post(f"{base}/acknowledge", json={}, headers=handler)
    gateway.slow = True
    started = time.monotonic()
    replied = await delivering.http.post(f"{base}/reply", json={"content": ANSWER}, headers=handler)
    took = time.monotonic() - started
    assert replied.status_code == 200 and replied.json()["status"] == "follow_up", replied.text
    notice = await feedback_state(delivering, inquiry["id"])
    assert notice["status"] == "queued", notice
    assert took < 2.0, f"the reply waited {took:.1f}s"
    gateway.release.set()
    await delivering.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'feedback'"
        " AND status = 'sent'",
        inquiry["id"],
    )
    assert len(gateway.sent_to_phone(ANSWER)) == 1


async def test_a_notice_that_keeps_failing_gives_up_and_the_office_gets_a_task(
    delivering: Service, gateway: SmsGateway
) -> None:
    gateway.failing.add("+8613700001111")
    inquiry = await file_and_reply(delivering, {"name": "赵六", "phone": "13700001111"})
    await delivering.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'feedback'"
        " AND status = 'gave_up'",
        inquiry["id"],
    )
    notice = await feedback_state(delivering, inquiry["id"])
    assert notice["attempts"] == 3, notice  # FAST: three attempts, then it gives up
    assert gateway.requests.count(notice["dedupe_key"]) == 3
    assert gateway.sent_to_phone(ANSWER) == []

    office = await delivering.staff("handler", OFFICE_UNIT)
    tasks = (await delivering.http.get("/api/v1/tasks", headers=office)).json()["items"]
    reach = [t for t in tasks if t["inquiry_id"] == inquiry["id"] and t["kind"] == "reach_citizen"]
    assert len(reach) == 1, tasks
    operator = await delivering.staff("operator")
    detail = (
        await delivering.http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=operator)
    ).json()
    shown = next(n for n in detail["notices"] if n["kind"] == "feedback")
    assert shown["status"] == "gave_up" and shown["attempts"] == 3
    assert "503" in shown["last_error"], shown
    assert "notice_gave_up" in [e["kind"] for e in detail["timeline"]]
    # The case itself went on: the citizen's rating is awaited.
    assert detail["status"] == "follow_up"
