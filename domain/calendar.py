"""Working-day arithmetic in China time, so reply deadlines skip weekends and public holidays."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA_TZ = ZoneInfo("Asia/Shanghai")

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """A computed due instant (UTC); provisional when it relied on guessed holiday data."""

    due_at: datetime
    provisional: bool


def day_kind(d: date, extra: Mapping[date, bool] | None = None) -> tuple[bool, bool]:
    """Return (is_working_day, known) for a China date; unpublished years fall back to Mon-Fri."""
    if extra is not None and d in extra:
        return bool(extra[d]), True
    return _published_kind(d)


@functools.lru_cache(maxsize=8192)
def _published_kind(d: date) -> tuple[bool, bool]:
    """The published schedule's answer for a date, kept: the library checks each date against
    the first and last day of its whole table (a min and a max over every holiday), which was
    85 % of planning a working-day case (docs/levers/calendar.md). The table is part of the
    installed package, so the answer for a date never changes while the process runs."""
    try:
        # Covers statutory holidays and make-up working weekends (调休) for published years.
        return bool(chinese_calendar.is_workday(d)), True
    except NotImplementedError:
        # The State Council publishes each year's schedule late in the previous year.
        return d.weekday() < 5, False


def add_natural(start: datetime, hours: float) -> Deadline:
    """Add wall-clock hours; natural-hour clocks never stop, so the result is never provisional."""
    _require_aware(start)
    return Deadline(
        due_at=start.astimezone(UTC) + _budget(hours, timedelta(hours=1)), provisional=False
    )


def add_working_days(
    start: datetime, days: float, extra: Mapping[date, bool] | None = None
) -> Deadline:
    """Add working-day time: the clock only runs during China-local working days."""
    _require_aware(start)
    remaining = _budget(days, _DAY)
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(CHINA_TZ).date()
    provisional = False
    while True:
        working, known = day_kind(day, extra)
        provisional = provisional or not known
        day_end = _local_midnight(day + _DAY)
        if working:
            available = day_end - cursor
            if remaining <= available:
                # Landing exactly on 24:00 yields the next day's 00:00, which is not consulted.
                return Deadline(due_at=cursor + remaining, provisional=provisional)
            remaining -= available
        day, cursor = day + _DAY, day_end


def working_time_between(
    start: datetime, end: datetime, extra: Mapping[date, bool] | None = None
) -> timedelta:
    """Working-day time from start to end, negative if end is earlier; inverts add_working_days."""
    _require_aware(start)
    _require_aware(end)
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    if hi < lo:
        return -working_time_between(end, start, extra)
    total = timedelta(0)
    day = lo.astimezone(CHINA_TZ).date()
    last = hi.astimezone(CHINA_TZ).date()
    while day <= last:
        if day_kind(day, extra)[0]:
            overlap = min(hi, _local_midnight(day + _DAY)) - max(lo, _local_midnight(day))
            total += max(overlap, timedelta(0))
        day += _DAY
    return total


@dataclass(frozen=True)
class OfficeHours:
    """Daily office time [start, end) in China local time, used by working-hour clocks."""

    start: time = time(8, 30)
    end: time = time(17, 30)

    def __post_init__(self) -> None:
        """Reject empty or zoned office hours: they are local China wall times."""
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("office hours are naive China-local times")
        if not self.start < self.end:
            raise ValueError(f"office start must be before end: {self.start} >= {self.end}")

    def window(self, d: date) -> tuple[datetime, datetime]:
        """Opening and closing instants (UTC) of the office on the China date d."""
        return (
            datetime.combine(d, self.start, tzinfo=CHINA_TZ).astimezone(UTC),
            datetime.combine(d, self.end, tzinfo=CHINA_TZ).astimezone(UTC),
        )


_OFFICE = OfficeHours()


def add_working_hours(
    start: datetime,
    hours: float,
    extra: Mapping[date, bool] | None = None,
    office: OfficeHours = _OFFICE,
) -> Deadline:
    """Add office hours: the clock only runs inside office time on China working days.

    Outside office time the clock starts at the next opening. A budget that runs out exactly
    at closing time is due at that closing time, not at the next opening.
    """
    _require_aware(start)
    remaining = _budget(hours, timedelta(hours=1))
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(CHINA_TZ).date()
    provisional = False
    while True:
        working, known = day_kind(day, extra)
        provisional = provisional or not known
        if working:
            opening, closing = office.window(day)
            begin = max(cursor, opening)
            if begin < closing:
                available = closing - begin
                if remaining <= available:
                    return Deadline(due_at=begin + remaining, provisional=provisional)
                remaining -= available
        day += _DAY
        cursor = _local_midnight(day)


def working_hours_between(
    start: datetime,
    end: datetime,
    extra: Mapping[date, bool] | None = None,
    office: OfficeHours = _OFFICE,
) -> timedelta:
    """Office time from start to end, negative if end is earlier; inverts add_working_hours."""
    _require_aware(start)
    _require_aware(end)
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    if hi < lo:
        return -working_hours_between(end, start, extra, office)
    total = timedelta(0)
    day = lo.astimezone(CHINA_TZ).date()
    last = hi.astimezone(CHINA_TZ).date()
    while day <= last:
        if day_kind(day, extra)[0]:
            opening, closing = office.window(day)
            total += max(min(hi, closing) - max(lo, opening), timedelta(0))
        day += _DAY
    return total


def next_office_instant(
    at: datetime, extra: Mapping[date, bool] | None = None, office: OfficeHours = _OFFICE
) -> datetime:
    """`at` (as UTC) if inside office time on a working day, else the next opening (UTC)."""
    return add_working_hours(at, 0, extra, office).due_at


def _local_midnight(d: date) -> datetime:
    """00:00 China time on d, as a UTC instant (UTC keeps subtraction exact)."""
    return datetime.combine(d, time(0), tzinfo=CHINA_TZ).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    """Reject naive datetimes: a deadline is meaningless without a time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {moment!r}")


def _budget(amount: float, unit: timedelta) -> timedelta:
    """Validate a non-negative finite budget and convert it to a timedelta."""
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"budget must be a finite non-negative number: {amount!r}")
    return amount * unit
