"""The scheduled digests: when a unit head's daily digest goes out, what counts as due soon, and
which month a monthly summary covers. Pure: the calendar comes in as data, the clock as an
argument (the workflow's time), so a digest on virtual time is the digest of that time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.calendar import (
    CHINA_TZ,
    OfficeHours,
    add_working_days,
    day_kind,
    next_office_instant,
)
from domain.reports import FIGURE_ZH, RATES, Figures, percent

# Why a digest was not sent (DigestPlan.skipped).
NON_WORKING_DAY = "non_working_day"
AFTER_OFFICE_HOURS = "after_office_hours"


@dataclass
class DigestRequest:
    """The daily digest's input. `day` (YYYY-MM-DD) names the day to send; None: the day the
    schedule fired (or the workflow started)."""

    day: str | None = None


@dataclass
class DigestPlanInput:
    started: datetime
    day: str | None = None


@dataclass
class DigestPlan:
    """When the digest of `day` goes out (`send_at`), or why it does not (`skipped`)."""

    day: str
    send_at: datetime | None = None
    skipped: str | None = None


@dataclass
class DigestBatch:
    """Queue the digest of `day` to every unit head, with the counts as of `at`."""

    day: str
    at: datetime


@dataclass
class DigestResult:
    day: str
    queued: int = 0  # notices queued now (a repeated run of the day queues none)
    skipped: str | None = None


def plan_digest(
    started: datetime,
    day: date | None,
    extra: Mapping[date, bool] | None = None,
    office: OfficeHours | None = None,
) -> DigestPlan:
    """When a digest goes out: in office hours of a working day. Started on a non-working day,
    it is skipped. Started before the opening, it waits for it; started after the closing (a
    run caught up late, a manual trigger), it waits for the next working day's opening and is
    that day's digest (whose own morning run then adds nothing). A digest of a named `day`
    whose office hours are over is skipped."""
    office = office or OfficeHours()
    named = day is not None
    day = day or started.astimezone(CHINA_TZ).date()
    if not day_kind(day, extra)[0]:
        return DigestPlan(day.isoformat(), skipped=NON_WORKING_DAY)
    opening, closing = office.window(day)
    if started < closing:
        return DigestPlan(day.isoformat(), send_at=max(started, opening))
    if named:
        return DigestPlan(day.isoformat(), skipped=AFTER_OFFICE_HOURS)
    send_at = next_office_instant(closing, extra, office)
    return DigestPlan(send_at.astimezone(CHINA_TZ).date().isoformat(), send_at=send_at)


def due_soon_until(at: datetime, extra: Mapping[date, bool] | None = None) -> datetime:
    """A case is due soon when its reply is due before one more working day has passed."""
    return add_working_days(at, 1, extra).due_at


@dataclass(frozen=True)
class UnitLoad:
    """A unit's open cases as a digest counts them at one moment."""

    unit_code: str
    open: int
    due_soon: int
    overdue: int


@dataclass
class SummaryRequest:
    """The monthly summary's input. `month` (YYYY-MM) names the month; None: the month before
    the one the schedule fired in."""

    month: str | None = None


@dataclass
class SummaryBatch:
    month: str | None  # YYYY-MM; None: the month before `at`
    at: datetime


@dataclass
class SummaryResult:
    month: str
    queued: int = 0


def summary_month(started: datetime, month: str | None) -> tuple[date, date]:
    """The first and last day of the month a summary covers (ValueError on a malformed one)."""
    if month is None:
        first_of_this = started.astimezone(CHINA_TZ).date().replace(day=1)
        first = (first_of_this - timedelta(days=1)).replace(day=1)
    else:
        first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# The monthly summary's lines: filed, closed, closed on time, overdue now, satisfaction.
SUMMARY_FIGURES = ("received", "closed", "closed_on_time", "overdue_now", "satisfaction_rate")


def summary_lines(figures: Figures) -> dict[str, str]:
    """Each summary figure under its Chinese and English name, a rate as the reports write it."""
    values = figures.as_dict()
    return {
        f"{FIGURE_ZH[name]} {name}": percent(values[name]) if name in RATES else str(values[name])
        for name in SUMMARY_FIGURES
    }
