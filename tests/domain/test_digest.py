"""When a digest goes out, what is due soon, which month a summary covers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.calendar import CHINA_TZ
from domain.digest import (
    AFTER_OFFICE_HOURS,
    NON_WORKING_DAY,
    due_soon_until,
    plan_digest,
    summary_month,
)


def china(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def test_a_working_morning_goes_out_at_once_or_at_the_opening() -> None:
    at_time = plan_digest(china("2026-12-07 08:30"), None)
    assert (at_time.day, at_time.send_at, at_time.skipped) == (
        "2026-12-07",
        china("2026-12-07 08:30"),
        None,
    )
    early = plan_digest(china("2026-12-07 06:00"), None)
    assert early.send_at == china("2026-12-07 08:30")


def test_weekends_holidays_and_operator_days_off_are_skipped() -> None:
    assert plan_digest(china("2026-12-05 08:30"), None).skipped == NON_WORKING_DAY  # Saturday
    assert plan_digest(china("2026-10-01 08:30"), None).skipped == NON_WORKING_DAY  # 国庆
    made_up = plan_digest(china("2026-10-10 08:30"), None)  # a make-up working Saturday (调休)
    assert made_up.skipped is None and made_up.day == "2026-10-10"
    off = plan_digest(china("2026-12-07 08:30"), None, {date(2026, 12, 7): False})
    assert off.skipped == NON_WORKING_DAY


def test_after_closing_it_waits_for_the_next_working_opening() -> None:
    late = plan_digest(china("2026-12-04 22:40"), None)  # a Friday night
    assert (late.day, late.send_at) == ("2026-12-07", china("2026-12-07 08:30"))
    named = plan_digest(china("2026-12-04 22:40"), date(2026, 12, 4))
    assert named.skipped == AFTER_OFFICE_HOURS
    ahead = plan_digest(china("2026-12-04 22:40"), date(2026, 12, 8))
    assert ahead.send_at == china("2026-12-08 08:30")


def test_due_soon_is_one_working_day_ahead() -> None:
    assert due_soon_until(china("2026-12-07 08:30")) == china("2026-12-08 08:30").astimezone(UTC)
    assert due_soon_until(china("2026-12-04 08:30")) == china("2026-12-07 08:30").astimezone(UTC)


def test_the_summary_covers_the_month_before_unless_one_is_named() -> None:
    assert summary_month(china("2027-01-01 08:30"), None) == (date(2026, 12, 1), date(2026, 12, 31))
    assert summary_month(china("2026-03-01 08:30"), None) == (date(2026, 2, 1), date(2026, 2, 28))
    assert summary_month(china("2026-03-01 08:30"), "2024-02") == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )
