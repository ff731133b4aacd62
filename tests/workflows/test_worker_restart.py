"""Stopping the worker with inquiries open loses nothing: replies and timers are taken up."""

from __future__ import annotations

import asyncio

from tests.conftest import Service, inquiry_body


async def test_reply_sent_while_the_worker_is_down_is_taken_up(service: Service) -> None:
    service.settings.reply_wait_seconds = 2  # how long the API waits for a worker to answer
    key = await service.intake_key("web")
    handler = await service.staff("handler", "pipe_repair")
    created = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    ).json()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", created["id"]
    )

    await service.stop_worker()
    replied = await service.http.post(
        f"/api/v1/inquiries/{created['id']}/reply",
        json={"content": "抢修完成，已恢复供水。"},
        headers=handler,
    )
    assert replied.status_code == 202, replied.text
    assert replied.json()["status"] == "reply_queued"
    async with service.pool.acquire() as conn:
        status = await conn.fetchval(
            "SELECT status FROM inquiries WHERE id = $1::uuid", created["id"]
        )
    assert status == "dispatched"  # nothing runs without a worker

    service.start_worker()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'follow_up'", created["id"]
    )
    # The outbox dispatcher delivers the answer apart from the case (README: Notifications).
    await service.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND audience = 'citizen'"
        " AND kind = 'feedback' AND status = 'sent'",
        created["id"],
    )
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT reply_content, replied_by, on_time FROM inquiries WHERE id = $1::uuid",
            created["id"],
        )
        feedback = await conn.fetchval(
            "SELECT count(*) FROM notifications WHERE inquiry_id = $1::uuid"
            " AND audience = 'citizen' AND status = 'sent'",
            created["id"],
        )
    assert row["reply_content"] == "抢修完成，已恢复供水。"
    assert row["on_time"] is True
    assert feedback == 1


async def test_timers_that_ran_out_while_the_worker_was_down_still_fire(
    service: Service,
) -> None:
    # 4 s to reply (warnings at 2 s and 3 s), 督办 2 s after the breach: all of it passes while
    # no worker runs. When one comes back the steps fire once each, together, in one notice
    # per audience rather than a storm.
    category = await service.category(
        reply_within=4 / 3600, supervision_after=2 / 3600, notice_after=1000
    )
    key = await service.intake_key("web")
    created = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(category), headers=key)
    ).json()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", created["id"]
    )
    await service.stop_worker()
    await asyncio.sleep(7)
    async with service.pool.acquire() as conn:
        before = await conn.fetchval(
            "SELECT count(*) FROM escalations WHERE inquiry_id = $1::uuid", created["id"]
        )
    assert before == 0

    service.start_worker()
    await service.wait_for(
        "SELECT count(*) = 4 FROM escalations WHERE inquiry_id = $1::uuid", created["id"]
    )
    await asyncio.sleep(1)  # nothing more may fire
    async with service.pool.acquire() as conn:
        steps = await conn.fetch(
            "SELECT step_key, level, fired_at FROM escalations WHERE inquiry_id = $1::uuid"
            " ORDER BY level, step_key",
            created["id"],
        )
        row = await conn.fetchrow(
            "SELECT escalation_level, overdue FROM inquiries WHERE id = $1::uuid", created["id"]
        )
        notices = await conn.fetch(
            "SELECT audience FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'ladder'",
            created["id"],
        )
    assert [(s["step_key"], s["level"]) for s in steps] == [
        ("warning50:1", 0),
        ("warning75:1", 0),
        ("reminder:1", 1),
        ("supervision:1", 2),
    ]
    assert len({s["fired_at"] for s in steps}) == 1  # taken up together
    assert [n["audience"] for n in notices] == ["office"]  # one consolidated notice
    assert row["escalation_level"] == 2 and row["overdue"] is True


async def test_an_inquiry_filed_while_no_worker_runs_is_accepted_and_recorded_later(
    service: Service,
) -> None:
    await service.stop_worker()
    key = await service.intake_key("web")
    supervisor = await service.staff("supervisor")
    handler = await service.staff("handler", "pipe_repair")
    created = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["id"]
    seen = await service.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=supervisor)
    assert seen.status_code == 200
    assert seen.json()["status"] == "received" and seen.json()["unit"] is None
    hidden = await service.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=handler)
    assert hidden.status_code == 404
    unknown = await service.http.get(
        "/api/v1/inquiries/00000000-0000-4000-8000-000000000000", headers=supervisor
    )
    assert unknown.status_code == 404

    service.start_worker()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    routed = await service.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=handler)
    assert routed.status_code == 200 and routed.json()["unit"] == "pipe_repair"
