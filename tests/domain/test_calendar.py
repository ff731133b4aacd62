"""Tests for China working-day arithmetic: holidays, make-up days, fallback years, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import (
    CHINA_TZ,
    Deadline,
    add_natural,
    add_working_days,
    day_kind,
    working_time_between,
)

DAY = timedelta(days=1)


def local(*args: int) -> datetime:
    """A China-local aware datetime."""
    return datetime(*args, tzinfo=CHINA_TZ)


def due_local(deadline: Deadline) -> datetime:
    """The due instant viewed in China time."""
    return deadline.due_at.astimezone(CHINA_TZ)


# --- day_kind ---------------------------------------------------------------------------------


def test_day_kind_known_holiday_and_make_up_days() -> None:
    assert day_kind(date(2026, 10, 1)) == (False, True)  # National Day
    assert day_kind(date(2026, 10, 7)) == (False, True)
    assert day_kind(date(2026, 10, 8)) == (True, True)
    assert day_kind(date(2026, 10, 10)) == (True, True)  # make-up Saturday
    assert day_kind(date(2026, 9, 20)) == (True, True)  # make-up Sunday
    assert day_kind(date(2026, 11, 7)) == (False, True)  # ordinary Saturday


def test_day_kind_falls_back_to_weekdays_for_unknown_years() -> None:
    assert day_kind(date(2027, 1, 1)) == (True, False)  # Friday, no holiday data
    assert day_kind(date(2027, 1, 2)) == (False, False)  # Saturday
    assert day_kind(date(2027, 1, 4)) == (True, False)  # Monday


def test_day_kind_extra_overrides_first_and_is_known() -> None:
    extra = {date(2027, 1, 1): False, date(2026, 11, 7): True}
    assert day_kind(date(2027, 1, 1), extra) == (False, True)
    assert day_kind(date(2026, 11, 7), extra) == (True, True)
    assert day_kind(date(2027, 1, 4), extra) == (True, False)


def test_day_kind_kept_per_date_answers_as_the_published_schedule_does() -> None:
    """day_kind keeps the library's answer per date (domain/calendar.py): asked twice, every day
    of three years, published or not, answers what chinese_calendar itself says."""
    day, last = date(2025, 1, 1), date(2027, 12, 31)
    while day <= last:
        try:
            expected = (chinese_calendar.is_workday(day), True)
        except NotImplementedError:
            expected = (day.weekday() < 5, False)
        assert day_kind(day) == day_kind(day) == expected, day
        day += timedelta(days=1)


# --- add_natural ------------------------------------------------------------------------------


def test_add_natural_ignores_holidays_and_returns_utc() -> None:
    deadline = add_natural(local(2026, 9, 30, 10), 48)
    assert deadline == Deadline(due_at=local(2026, 10, 2, 10).astimezone(UTC), provisional=False)
    assert deadline.due_at.tzinfo is UTC


# --- add_working_days: worked examples --------------------------------------------------------


def test_national_day_holiday_is_skipped() -> None:
    # Wed 09-30 10:00: 14h left that day, 10-01..07 holidays, 10-08 gives 24h (38h), +10h on 10-09.
    deadline = add_working_days(local(2026, 9, 30, 10), 2)
    assert due_local(deadline) == local(2026, 10, 9, 10)
    assert deadline.provisional is False
    assert deadline.due_at.tzinfo is UTC


def test_fractional_days() -> None:
    # 0.75 * 2 = 1.5 WD = 36h: 14h on 09-30, then 22h into 10-08.
    deadline = add_working_days(local(2026, 9, 30, 10), 0.75 * 2)
    assert due_local(deadline) == local(2026, 10, 8, 22)


def test_make_up_saturday_counts() -> None:
    # Fri 10-09 10:00: 14h on Friday, then 10h on make-up Saturday 10-10.
    deadline = add_working_days(local(2026, 10, 9, 10), 1)
    assert due_local(deadline) == local(2026, 10, 10, 10)


def test_make_up_sunday_counts_when_starting_on_saturday() -> None:
    # Sat 09-19 is off, so the clock starts at 00:00 of make-up Sunday 09-20 and runs 24h.
    deadline = add_working_days(local(2026, 9, 19, 12), 1)
    assert due_local(deadline) == local(2026, 9, 21)


def test_ordinary_weekend_is_skipped() -> None:
    # Fri 11-06 15:00: 9h on Friday, weekend off, 15h into Monday 11-09.
    deadline = add_working_days(local(2026, 11, 6, 15), 1)
    assert due_local(deadline) == local(2026, 11, 9, 15)


def test_exact_end_of_working_day_is_next_midnight() -> None:
    # A full day from Friday 00:00 ends at Friday 24:00, i.e. Saturday 00:00 local.
    deadline = add_working_days(local(2026, 11, 6), 1)
    assert due_local(deadline) == local(2026, 11, 7)


def test_zero_days_on_working_day_is_start() -> None:
    start = local(2026, 11, 6, 15)
    assert add_working_days(start, 0).due_at == start


def test_zero_days_on_non_working_day_is_next_working_midnight() -> None:
    assert due_local(add_working_days(local(2026, 11, 7, 12), 0)) == local(2026, 11, 9)
    assert due_local(add_working_days(local(2026, 10, 3, 12), 0)) == local(2026, 10, 8)


def test_start_in_other_timezone_uses_china_calendar() -> None:
    # 2026-09-30 02:00 UTC is 10:00 in Shanghai, same as the National Day example.
    deadline = add_working_days(datetime(2026, 9, 30, 2, tzinfo=UTC), 2)
    assert due_local(deadline) == local(2026, 10, 9, 10)


def test_running_into_2027_is_provisional_and_skips_weekends() -> None:
    # Mon 12-28 10:00: 14h that day leaves 14 WD + 10h. Working days after it: 12-29, 12-30,
    # 12-31, Fri 01-01 (fallback), 01-04..08, 01-11..15 = 14 days; then 10h into Mon 01-18.
    deadline = add_working_days(local(2026, 12, 28, 10), 15)
    assert due_local(deadline) == local(2027, 1, 18, 10)
    assert deadline.provisional is True


def test_extra_holiday_shifts_due_by_one_day() -> None:
    extra = {date(2027, 1, 1): False}
    deadline = add_working_days(local(2026, 12, 28, 10), 15, extra)
    assert due_local(deadline) == local(2027, 1, 19, 10)
    assert deadline.provisional is True  # other January 2027 days are still guessed


def test_extra_makes_2027_day_known() -> None:
    # Thu 12-31 10:00: 14h, then 10h into 01-01, which the operator declared a working day.
    deadline = add_working_days(local(2026, 12, 31, 10), 1, {date(2027, 1, 1): True})
    assert due_local(deadline) == local(2027, 1, 1, 10)
    assert deadline.provisional is False
    assert add_working_days(local(2026, 12, 31, 10), 1).provisional is True


def test_deadline_inside_2026_is_not_provisional() -> None:
    assert add_working_days(local(2026, 12, 1, 9), 15).provisional is False


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [-1, -0.001, float("nan"), float("inf")])
def test_bad_budgets_rejected(amount: float) -> None:
    with pytest.raises(ValueError):
        add_working_days(local(2026, 11, 6), amount)
    with pytest.raises(ValueError):
        add_natural(local(2026, 11, 6), amount)


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 11, 6, 10)
    with pytest.raises(ValueError):
        add_working_days(naive, 1)
    with pytest.raises(ValueError):
        add_natural(naive, 1)
    with pytest.raises(ValueError):
        working_time_between(naive, local(2026, 11, 7))
    with pytest.raises(ValueError):
        working_time_between(local(2026, 11, 7), naive)


# --- working_time_between ---------------------------------------------------------------------


def test_working_time_between_skips_holidays() -> None:
    elapsed = working_time_between(local(2026, 9, 30, 10), local(2026, 10, 9, 10))
    assert elapsed == timedelta(hours=48)


def test_working_time_between_is_signed() -> None:
    a, b = local(2026, 11, 6, 15), local(2026, 11, 9, 15)
    assert working_time_between(a, b) == timedelta(hours=24)
    assert working_time_between(b, a) == -timedelta(hours=24)
    assert working_time_between(a, a) == timedelta(0)


def test_working_time_between_inside_weekend_is_zero() -> None:
    assert working_time_between(local(2026, 11, 7, 1), local(2026, 11, 8, 23)) == timedelta(0)


# --- properties -------------------------------------------------------------------------------

# Starts late enough in 2026 still finish inside 2026 for budgets up to 20 working days.
starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 15), timezones=st.just(CHINA_TZ)
)
budgets = st.floats(min_value=0, max_value=20, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(start=starts, days=budgets)
def test_due_never_inside_non_working_day(start: datetime, days: float) -> None:
    deadline = add_working_days(start, days)
    due = due_local(deadline)
    assert deadline.provisional is False
    on_working_day = day_kind(due.date())[0]
    at_end_of_working_day = due.time() == time(0) and day_kind(due.date() - DAY)[0]
    assert on_working_day or at_end_of_working_day


@settings(max_examples=200, deadline=None)
@given(start=starts, days=budgets)
def test_working_time_between_inverts_add(start: datetime, days: float) -> None:
    deadline = add_working_days(start, days)
    assert deadline.due_at >= start
    assert working_time_between(start, deadline.due_at) == DAY * days


@settings(max_examples=200, deadline=None)
@given(start=starts, days=budgets, more=budgets)
def test_more_days_never_earlier(start: datetime, days: float, more: float) -> None:
    assert add_working_days(start, days + more).due_at >= add_working_days(start, days).due_at
