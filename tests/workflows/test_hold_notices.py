"""Ladder notices wait for office hours when the policy says so."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from domain.calendar import CHINA_TZ, next_office_instant
from tests.cases import act, file_case, handle
from tests.conftest import Service


async def test_a_breach_at_night_is_announced_when_the_office_opens(service: Service) -> None:
    now = datetime.now(UTC)
    evening = datetime.combine(
        now.astimezone(CHINA_TZ).date() + timedelta(days=1), time(20, 0), tzinfo=CHINA_TZ
    )
    hours = (evening - now).total_seconds() / 3600
    category = await service.category(
        reply_within=hours,
        hold_notices=True,
        warnings=[],
        supervision_after=1000,
        notice_after=1000,
    )
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    opening = next_office_instant(evening)
    assert opening.astimezone(CHINA_TZ).time() == time(8, 30)

    # Past the 20:00 deadline, the office is closed: nothing is announced yet.
    h = handle(service, inquiry_id)
    assert await service.env.fast_forward(h, evening - now + timedelta(hours=1))
    async with service.pool.acquire() as conn:
        assert not await conn.fetchval(
            "SELECT count(*) FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
        )
    assert await service.env.fast_forward(h, opening - evening)
    async with service.pool.acquire() as conn:
        fired = await conn.fetchrow(
            "SELECT fired_at, due_at FROM escalations WHERE inquiry_id = $1::uuid"
            " AND step_key = 'reminder:1'",
            inquiry_id,
        )
    assert opening <= fired["fired_at"] <= opening + timedelta(minutes=1)
    assert abs(fired["due_at"] - evening) < timedelta(minutes=1)  # the breach itself is at 20:00
