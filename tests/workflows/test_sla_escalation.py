"""The escalation ladder on virtual time: reminder, level 1, level 2, then a late reply."""

from __future__ import annotations

from datetime import datetime, timedelta

from activities.inquiries import workflow_id_for
from tests.conftest import Service, inquiry_body
from workflows import search_attributes as sa
from workflows.inquiry import InquiryWorkflow


async def test_ladder_fires_once_each_at_its_time_and_a_late_reply_closes_late(
    service: Service,
) -> None:
    # 24 natural hours to reply: reminder at 18 h (75%), level 1 at 24 h, level 2 at 48 h.
    category = await service.category(clock="natural_hours", reply_within=24, level2_grace=24)
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
    handle = service.client.get_workflow_handle_for(
        InquiryWorkflow.run, workflow_id_for(inquiry_id)
    )

    async def fired() -> dict[str, tuple[int, datetime]]:
        async with service.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT step, level, fired_at FROM escalations WHERE inquiry_id = $1::uuid",
                inquiry_id,
            )
        return {r["step"]: (r["level"], r["fired_at"]) for r in rows}

    async with service.pool.acquire() as conn:
        dispatched_at = await conn.fetchval(
            "SELECT dispatched_at FROM inquiries WHERE id = $1::uuid", inquiry_id
        )

    assert await service.env.fast_forward(handle, timedelta(hours=17))
    assert await fired() == {}

    assert await service.env.fast_forward(handle, timedelta(hours=2))  # now at 19 h
    steps = await fired()
    assert set(steps) == {"reminder"}
    assert steps["reminder"][0] == 0
    assert _near(steps["reminder"][1] - dispatched_at, timedelta(hours=18))

    assert await service.env.fast_forward(handle, timedelta(hours=6))  # 25 h
    steps = await fired()
    assert set(steps) == {"reminder", "level1"}
    assert _near(steps["level1"][1] - dispatched_at, timedelta(hours=24))
    state = await handle.query(InquiryWorkflow.state)
    assert state.escalation_level == 1 and state.overdue is True

    assert await service.env.fast_forward(handle, timedelta(hours=47))  # 72 h
    steps = await fired()
    assert set(steps) == {"reminder", "level1", "level2"}
    assert steps["level2"][0] == 2
    assert _near(steps["level2"][1] - dispatched_at, timedelta(hours=48))

    # The search attributes a supervisor filters on in the web UI are current.
    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(sa.ESCALATION_LEVEL) == 2
    assert attributes.get(sa.OVERDUE) is True
    assert attributes.get(sa.RESPONSIBLE_UNIT) == "open_affairs"
    assert attributes.get(sa.INQUIRY_STATUS) == "dispatched"

    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply",
        json={"content": "已核查，水表正常，读数为季度累计。"},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text
    assert replied.json() == {
        "id": inquiry_id,
        "status": "closed",
        "on_time": False,
        "detail": "replied; feedback sent",
    }
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT on_time, handling_seconds, status, escalation_level FROM inquiries"
            " WHERE id = $1::uuid",
            inquiry_id,
        )
        counts = await conn.fetchval(
            "SELECT count(*) FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
        )
    assert row["status"] == "closed"
    assert row["on_time"] is False
    assert row["escalation_level"] == 2
    assert row["handling_seconds"] >= 72 * 3600
    assert counts == 3  # each step exactly once
    outcome = await handle.result()
    assert outcome.on_time is False and outcome.escalation_level == 2


def _near(actual: timedelta, expected: timedelta) -> bool:
    """Virtual timers fire at their time; allow the few real seconds the activities take."""
    return expected <= actual <= expected + timedelta(minutes=1)
