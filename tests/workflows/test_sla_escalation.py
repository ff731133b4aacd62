"""The escalation ladder on virtual time: warnings, 催办, 督办, 通报, then a late reply."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body
from workflows import search_attributes as sa


async def test_ladder_fires_once_each_at_its_time_and_a_late_reply_is_not_on_time(
    service: Service,
) -> None:
    # 24 natural hours to reply: warnings at 12 h and 18 h, 催办 at 24 h, 督办 at 48 h,
    # 通报 at 72 h. Acknowledgement is given at once so only the reply ladder runs.
    category = await service.category(
        reply_within=24, supervision_after=24, notice_after=24, ack_within=1
    )
    key = await service.intake_key("hotline")
    handler = await service.staff("handler", "open_affairs")
    created = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(category, content="水表读数异常"), headers=key
    )
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["id"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 200, signed.text
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))

    async def fired() -> dict[str, tuple[int, datetime]]:
        async with service.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT step_key, level, fired_at FROM escalations WHERE inquiry_id = $1::uuid",
                inquiry_id,
            )
        return {r["step_key"]: (r["level"], r["fired_at"]) for r in rows}

    async with service.pool.acquire() as conn:
        dispatched_at = await conn.fetchval(
            "SELECT dispatched_at FROM inquiries WHERE id = $1::uuid", inquiry_id
        )

    assert await service.env.fast_forward(handle, timedelta(hours=11))
    assert await fired() == {}

    assert await service.env.fast_forward(handle, timedelta(hours=8))  # 19 h
    steps = await fired()
    assert set(steps) == {"warning50:1", "warning75:1"}
    assert _near(steps["warning50:1"][1] - dispatched_at, timedelta(hours=12))
    assert _near(steps["warning75:1"][1] - dispatched_at, timedelta(hours=18))

    assert await service.env.fast_forward(handle, timedelta(hours=6))  # 25 h
    steps = await fired()
    assert steps["reminder:1"][0] == 1
    assert _near(steps["reminder:1"][1] - dispatched_at, timedelta(hours=24))
    description = await handle.describe()
    assert description.typed_search_attributes.get(sa.OVERDUE) is True
    assert description.typed_search_attributes.get(sa.ESCALATION_LEVEL) == 1

    assert await service.env.fast_forward(handle, timedelta(hours=48))  # 73 h
    steps = await fired()
    assert set(steps) == {"warning50:1", "warning75:1", "reminder:1", "supervision:1", "notice:1"}
    assert steps["supervision:1"][0] == 2
    assert _near(steps["supervision:1"][1] - dispatched_at, timedelta(hours=48))
    assert steps["notice:1"][0] == 3
    assert _near(steps["notice:1"][1] - dispatched_at, timedelta(hours=72))

    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.ESCALATION_LEVEL) == 3
    assert attributes.get(sa.RESPONSIBLE_UNIT) == "open_affairs"
    # Since revision 2 a case shows the overdue view only; its status is the read model's.
    assert attributes.get(sa.INQUIRY_STATUS) is None

    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply",
        json={"content": "已核查，水表正常，读数为季度累计。"},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"
    assert replied.json()["on_time"] is False
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT on_time, handling_seconds, escalation_level FROM inquiries WHERE id = $1::uuid",
            inquiry_id,
        )
        count = await conn.fetchval(
            "SELECT count(*) FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
        )
    assert row["on_time"] is False
    assert row["escalation_level"] == 3
    assert row["handling_seconds"] >= 73 * 3600
    assert count == 5  # each step exactly once


def _near(actual: timedelta, expected: timedelta) -> bool:
    """Virtual timers fire at their time; allow the few real seconds the activities take."""
    return expected <= actual <= expected + timedelta(minutes=1)
