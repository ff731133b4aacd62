"""The burst's office hours (bench/burst.py): one common due instant at any hour of the day,
with office hours that never run past midnight in China time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest

from bench.burst import BUDGET, calendar_until, closing_for, opening_after
from domain.calendar import CHINA_TZ, OfficeHours, add_working_hours

LEAD = 477.0


@pytest.mark.parametrize("hour_utc", range(24))
def test_every_hour_gets_an_opening_that_holds_the_breach(hour_utc: int) -> None:
    now = datetime(2026, 12, 5, hour_utc, 13, 50, tzinfo=UTC)
    opening = opening_after(now, LEAD)
    local = opening.astimezone(CHINA_TZ)
    closing = closing_for(opening)
    assert opening >= now + timedelta(seconds=LEAD)
    assert local.second == 0 and local.microsecond == 0
    assert local.time() < closing  # the same day: never across midnight
    assert (local + BUDGET).time() < closing  # the breach falls inside the office hours
    # The domain's working-hours clock, started now, is due at the breach instant.
    due = add_working_hours(
        now,
        BUDGET / timedelta(hours=1),
        calendar_until(now, opening),
        OfficeHours(local.time(), closing),
    )
    assert due.due_at == opening + BUDGET


def test_an_evening_run_opens_the_same_evening_not_after_midnight() -> None:
    # 15:13:50 UTC is 23:13:50 in China: before, such a run waited for 00:05 (51 minutes).
    now = datetime(2026, 12, 5, 15, 13, 50, tzinfo=UTC)
    opening = opening_after(now, LEAD)
    assert opening - now < timedelta(seconds=LEAD + 60)
    assert closing_for(opening) == clock_time(23, 59)


def test_an_opening_past_the_last_waits_for_the_next_day() -> None:
    now = datetime(2026, 12, 5, 15, 50, 0, tzinfo=UTC)  # 23:50 China; opening would be 23:59
    local = opening_after(now, LEAD).astimezone(CHINA_TZ)
    assert (local.date().day, local.time()) == (6, clock_time(0, 5))
