"""A unit head's staff notices (催办) go by email once the head has an address."""

from __future__ import annotations

from datetime import timedelta

from tests.cases import act, file_case, handle
from tests.conftest import Service
from tests.workflows.test_scheduled import _unit_with_heads


async def test_the_reminder_goes_to_the_heads_email_address(service: Service) -> None:
    category = await service.category(
        reply_within=24, supervision_after=240, notice_after=240, ack_within=1
    )
    unit, with_mail, _ = await _unit_with_heads(service, [category])
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", unit)
    signed = await act(service, inquiry_id, "acknowledge", handler)
    assert signed.status_code == 200, signed.text

    assert await service.env.fast_forward(handle(service, inquiry_id), timedelta(hours=25))
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT channel, recipient, recipient_masked, body FROM notifications"
            " WHERE inquiry_id = $1::uuid AND audience = 'unit_head'",
            inquiry_id,
        )
    assert [(r["channel"], r["recipient"]) for r in rows] == [("email", f"{with_mail}@example.cn")]
    assert rows[0]["recipient_masked"] == f"{with_mail[0]}***@example.cn"
    assert f"催办 reminder: case {code}" in rows[0]["body"]
    await service.wait_for(
        "SELECT bool_and(status = 'sent') FROM notifications"
        " WHERE inquiry_id = $1::uuid AND audience = 'unit_head'",
        inquiry_id,
    )
