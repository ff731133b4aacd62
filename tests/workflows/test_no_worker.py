"""Staff actions while no worker runs: 503 no_worker after the promised wait, never applied
afterwards; a queued reply stops the reply clock when the handler sent it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType

from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body


async def _dispatched_case(service: Service, category: str = "outage") -> str:
    key = await service.intake_key("web")
    filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(category), headers=key)
    assert filed.status_code == 201, filed.text
    inquiry_id: str = filed.json()["id"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    return inquiry_id


async def _update_events(service: Service, inquiry_id: str) -> list[str]:
    history = await service.client.get_workflow_handle(case_workflow_id(inquiry_id)).fetch_history()
    updates = (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    )
    return [EventType.Name(e.event_type) for e in history.events if e.event_type in updates]


async def test_an_action_no_worker_takes_answers_503_and_is_never_applied(
    service: Service,
) -> None:
    service.settings.action_wait_seconds = 2
    handler = await service.staff("handler", "pipe_repair")
    inquiry_id = await _dispatched_case(service)
    await service.stop_worker()

    started = time.monotonic()
    refused = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    waited = time.monotonic() - started
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "no_worker"
    assert int(refused.headers["Retry-After"]) > 0
    assert 2 <= waited < 10  # the promised wait (and its margin), not minutes

    # The worker comes back: the action it is handed now was valid for 2 s only and is refused.
    await asyncio.sleep(1)
    service.start_worker()
    await asyncio.sleep(3)
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, acknowledged_at FROM inquiries WHERE id = $1::uuid", inquiry_id
        )
        kinds = await conn.fetchval(
            "SELECT array_agg(kind ORDER BY occurred_at) FROM inquiry_events"
            " WHERE inquiry_id = $1::uuid",
            inquiry_id,
        )
    assert row["status"] == "dispatched" and row["acknowledged_at"] is None
    assert "acknowledged" not in kinds
    assert await _update_events(service, inquiry_id) == []  # nothing reached the history

    # The case still takes the same action sent again.
    taken = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "handling"


async def test_a_queued_reply_is_on_time_when_sent_before_the_deadline_that_passed_meanwhile(
    service: Service,
) -> None:
    service.settings.reply_wait_seconds = 1
    category = await service.category(reply_within=8 / 3600, notice_after=1000)
    handler = await service.staff("handler", "open_affairs")
    inquiry_id = await _dispatched_case(service, category)
    async with service.pool.acquire() as conn:
        due = await conn.fetchval(
            "SELECT reply_due_at FROM inquiries WHERE id = $1::uuid", inquiry_id
        )
    await service.stop_worker()

    sent_from = datetime.now(UTC)
    queued = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": "已处理完毕。"}, headers=handler
    )
    sent_to = datetime.now(UTC)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "reply_queued"
    assert sent_to < due

    # The deadline passes while the reply waits for a worker.
    await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 1)
    service.start_worker()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'follow_up'", inquiry_id
    )
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT replied_at, on_time, reply_content FROM inquiries WHERE id = $1::uuid",
            inquiry_id,
        )
        replies = await conn.fetchval(
            "SELECT count(*) FROM inquiry_events WHERE inquiry_id = $1::uuid AND kind = 'replied'",
            inquiry_id,
        )
    assert row["reply_content"] == "已处理完毕。"
    assert sent_from <= row["replied_at"] <= sent_to  # when the handler sent it
    assert row["on_time"] is True
    assert replies == 1  # the late update was refused; only the queued signal counted
