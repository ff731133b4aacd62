"""Tests for the SLA clock ledger and working-hour arithmetic: worked examples and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.calendar import (
    CHINA_TZ,
    Deadline,
    OfficeHours,
    add_working_hours,
    day_kind,
    next_office_instant,
    working_hours_between,
)
from domain.clock import (
    BudgetUnit,
    ClockLedger,
    Segment,
    SegmentKind,
    WorkCalendar,
    close_segment,
    extend,
    instant_at,
    open_segment,
    project,
    restart,
)

CAL = WorkCalendar()
DAY = timedelta(days=1)


def local(*args: int) -> datetime:
    """A China-local aware datetime."""
    return datetime(*args, tzinfo=CHINA_TZ)


def as_local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(CHINA_TZ)


def ledger(unit: BudgetUnit, budget: float, start: datetime, target: str = "reply") -> ClockLedger:
    return ClockLedger(target=target, unit=unit.value, budget=budget, started_at=start)


def paused(base: ClockLedger, start: datetime, end: datetime) -> ClockLedger:
    return close_segment(open_segment(base, SegmentKind.PAUSED, start, "补正"), end)


# --- add_working_hours / working_hours_between / next_office_instant ---------------------------


def test_working_hours_skip_the_weekend() -> None:
    # Fri 11-06 16:00: 1.5h until 17:30, the weekend is off, 2.5h from Mon 08:30 -> 11:00.
    deadline = add_working_hours(local(2026, 11, 6, 16), 4)
    assert as_local(deadline.due_at) == local(2026, 11, 9, 11)
    assert deadline == Deadline(due_at=local(2026, 11, 9, 11).astimezone(UTC), provisional=False)
    assert deadline.due_at.tzinfo is UTC


def test_working_hours_with_a_17_00_close() -> None:
    # With office hours ending 17:00: 1h on Friday, 3h from Mon 08:30 -> 11:30.
    office = OfficeHours(end=time(17))
    deadline = add_working_hours(local(2026, 11, 6, 16), 4, office=office)
    assert as_local(deadline.due_at) == local(2026, 11, 9, 11, 30)


def test_working_hours_start_before_opening_counts_from_opening() -> None:
    assert as_local(add_working_hours(local(2026, 11, 9, 7), 2).due_at) == local(
        2026, 11, 9, 10, 30
    )


def test_working_hours_run_past_closing_into_next_morning() -> None:
    # Mon 15:00: 2.5h until 17:30, then 1.5h from Tue 08:30.
    assert as_local(add_working_hours(local(2026, 11, 9, 15), 4).due_at) == local(2026, 11, 10, 10)


def test_working_hours_running_out_at_closing_is_due_at_closing() -> None:
    due = add_working_hours(local(2026, 11, 9, 15), 2.5).due_at
    assert as_local(due) == local(2026, 11, 9, 17, 30)


def test_working_hours_after_closing_start_next_morning() -> None:
    assert as_local(add_working_hours(local(2026, 11, 9, 18), 1).due_at) == local(
        2026, 11, 10, 9, 30
    )


def test_zero_working_hours() -> None:
    inside = local(2026, 11, 9, 12)
    assert add_working_hours(inside, 0).due_at == inside
    assert as_local(add_working_hours(local(2026, 11, 9, 7), 0).due_at) == local(2026, 11, 9, 8, 30)
    # Closing time itself is outside [08:30, 17:30).
    assert as_local(add_working_hours(local(2026, 11, 9, 17, 30), 0).due_at) == local(
        2026, 11, 10, 8, 30
    )


def test_working_hours_count_the_make_up_saturday() -> None:
    # Fri 10-09 16:00: 1.5h, then 2.5h on make-up Saturday 10-10 -> 11:00.
    assert as_local(add_working_hours(local(2026, 10, 9, 16), 4).due_at) == local(2026, 10, 10, 11)


def test_working_hours_skip_national_day() -> None:
    # Wed 09-30 16:00: 1.5h, 10-01..07 off, 2.5h on Thu 10-08.
    assert as_local(add_working_hours(local(2026, 9, 30, 16), 4).due_at) == local(2026, 10, 8, 11)


def test_working_hours_into_2027_are_provisional_and_extra_overrides() -> None:
    deadline = add_working_hours(local(2026, 12, 31, 16), 4)
    assert as_local(deadline.due_at) == local(2027, 1, 1, 11)  # fallback: Friday works
    assert deadline.provisional is True
    extra = {date(2027, 1, 1): False}
    overridden = add_working_hours(local(2026, 12, 31, 16), 4, extra)
    assert as_local(overridden.due_at) == local(2027, 1, 4, 11)
    assert overridden.provisional is True  # 01-04 is still a guess
    known = add_working_hours(local(2026, 12, 31, 16), 4, {date(2027, 1, 1): True})
    assert known.provisional is False


def test_working_hours_between_is_signed() -> None:
    a, b = local(2026, 11, 6, 16), local(2026, 11, 9, 11)
    assert working_hours_between(a, b) == timedelta(hours=4)
    assert working_hours_between(b, a) == -timedelta(hours=4)
    assert working_hours_between(a, a) == timedelta(0)
    assert working_hours_between(local(2026, 11, 7, 9), local(2026, 11, 8, 17)) == timedelta(0)
    assert working_hours_between(local(2026, 11, 9, 0), local(2026, 11, 10, 0)) == timedelta(
        hours=9
    )


def test_next_office_instant() -> None:
    assert as_local(next_office_instant(local(2026, 10, 1, 12))) == local(2026, 10, 8, 8, 30)
    inside = local(2026, 10, 8, 9)
    assert next_office_instant(inside) == inside
    assert as_local(next_office_instant(local(2026, 10, 9, 17, 30))) == local(2026, 10, 10, 8, 30)
    assert as_local(next_office_instant(local(2026, 11, 7, 10))) == local(2026, 11, 9, 8, 30)


@pytest.mark.parametrize(
    ("start", "end"), [(time(9), time(9)), (time(18), time(9)), (time(9, tzinfo=UTC), time(17))]
)
def test_bad_office_hours_rejected(start: time, end: time) -> None:
    with pytest.raises(ValueError):
        OfficeHours(start=start, end=end)


def test_working_hours_validation() -> None:
    with pytest.raises(ValueError):
        add_working_hours(datetime(2026, 11, 9, 10), 1)
    with pytest.raises(ValueError):
        add_working_hours(local(2026, 11, 9, 10), -1)
    with pytest.raises(ValueError):
        working_hours_between(datetime(2026, 11, 9, 10), local(2026, 11, 9, 10))
    with pytest.raises(ValueError):
        next_office_instant(datetime(2026, 11, 9, 10))


# --- ledger: worked examples ------------------------------------------------------------------


def test_working_day_pause_over_a_weekend_shifts_only_its_working_time() -> None:
    # 2 WD from Thu 11-05 10:00: 14h Thu + 24h Fri + 10h Mon -> Mon 11-09 10:00.
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 11, 5, 10))
    assert as_local(project(base, CAL, local(2026, 11, 5, 12)).due_at) == local(2026, 11, 9, 10)
    # Paused Fri 10:00 -> Mon 10:00 (3 calendar days): only Fri 14h + Mon 10h = 1 WD counted.
    with_pause = paused(base, local(2026, 11, 6, 10), local(2026, 11, 9, 10))
    p = project(with_pause, CAL, local(2026, 11, 9, 12))
    # 24h used before the pause, 24h left from Mon 10:00: 14h Mon + 10h Tue.
    assert as_local(p.due_at) == local(2026, 11, 10, 10)
    assert p.consumed == pytest.approx(26 / 24)  # Thu 14h + Fri 10h + Mon 2h
    assert p.remaining == pytest.approx(2 - 26 / 24)
    assert (p.paused, p.overdue, p.provisional) == (False, False, False)


def test_information_disclosure_clock_with_one_extension() -> None:
    # 20 WD from Mon 06-22 09:00: four ordinary weeks, no holidays -> Mon 07-20 09:00.
    base = ledger(BudgetUnit.WORKING_DAYS, 20, local(2026, 6, 22, 9))
    before = project(base, CAL, local(2026, 7, 20, 10))
    assert as_local(before.due_at) == local(2026, 7, 20, 9)
    assert before.overdue is True
    # One approved extension of 20 WD -> four more weeks: Mon 08-17 09:00.
    extended = extend(base, 20, local(2026, 7, 10, 15), "批准延期")
    p = project(extended, CAL, local(2026, 7, 20, 10))
    assert as_local(p.due_at) == local(2026, 8, 17, 9)
    assert (p.budget, p.extended, p.total) == (20, 20, 40)
    assert p.consumed == pytest.approx(20 + 1 / 24)
    assert p.remaining == pytest.approx(20 - 1 / 24)
    assert p.overdue is False
    assert base.segments == []  # the original ledger is untouched
    assert extended.segments == [
        Segment(
            kind="extended",
            start=local(2026, 7, 10, 15),
            end=local(2026, 7, 10, 15),
            amount=20,
            reason="批准延期",
        )
    ]


def test_working_hours_ledger() -> None:
    base = ledger(BudgetUnit.WORKING_HOURS, 4, local(2026, 11, 6, 16), target="acknowledge")
    p = project(base, CAL, local(2026, 11, 9, 9, 30))
    assert as_local(p.due_at) == local(2026, 11, 9, 11)
    assert p.consumed == pytest.approx(2.5)  # Fri 1.5h + Mon 1h
    assert p.remaining == pytest.approx(1.5)
    # Excluded from Mon 10:00 (third-party consultation) until Mon 15:00: due at 16:00.
    excluded = close_segment(
        open_segment(base, SegmentKind.EXCLUDED, local(2026, 11, 9, 10)), local(2026, 11, 9, 15)
    )
    assert as_local(project(excluded, CAL, local(2026, 11, 9, 15)).due_at) == local(2026, 11, 9, 16)


def test_open_pause_stops_the_clock() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 11, 5, 10))
    waiting = open_segment(base, SegmentKind.PAUSED, local(2026, 11, 6, 10), "等待群众补充材料")
    p = project(waiting, CAL, local(2026, 11, 20, 10))
    assert p.due_at is None
    assert (p.paused, p.overdue) == (True, False)
    assert p.consumed == pytest.approx(1)  # frozen at the pause
    # Before the pause began, the clock still runs.
    assert project(waiting, CAL, local(2026, 11, 5, 12)).paused is False
    # Instants before the pause are still known; later ones are not.
    assert instant_at(waiting, CAL, 0.5) == (local(2026, 11, 5, 22).astimezone(UTC), False)
    assert instant_at(waiting, CAL, 1)[0] == local(2026, 11, 6, 10).astimezone(UTC)
    assert instant_at(waiting, CAL, 1.5) == (None, False)
    resumed = close_segment(waiting, local(2026, 11, 20, 10))
    assert as_local(project(resumed, CAL, local(2026, 11, 20, 10)).due_at) == local(
        2026, 11, 23, 10
    )


def test_pause_after_the_budget_ran_out_keeps_the_clock_overdue() -> None:
    base = ledger(BudgetUnit.NATURAL_HOURS, 4, local(2026, 11, 5, 10))
    late = open_segment(base, SegmentKind.PAUSED, local(2026, 11, 5, 16))
    p = project(late, CAL, local(2026, 11, 5, 17))
    assert as_local(p.due_at) == local(2026, 11, 5, 14)
    assert (p.paused, p.overdue) == (True, True)


def test_overdue_projection() -> None:
    base = ledger(BudgetUnit.NATURAL_HOURS, 4, local(2026, 9, 30, 22))
    p = project(base, CAL, local(2026, 10, 1, 3))  # natural hours run through the holiday
    assert as_local(p.due_at) == local(2026, 10, 1, 2)
    assert p.consumed == pytest.approx(5)
    assert p.remaining == pytest.approx(-1)
    assert (p.overdue, p.paused, p.provisional) == (True, False, False)
    at_due = project(base, CAL, local(2026, 10, 1, 2))
    assert at_due.overdue is False
    assert at_due.remaining == pytest.approx(0)


def test_instant_at_beyond_total_for_escalation_grace() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 9, 30, 10))
    due, provisional = instant_at(base, CAL, 2)
    assert (as_local(due), provisional) == (local(2026, 10, 9, 10), False)
    # One more WD of grace: 14h on 10-09 + 10h on make-up Saturday 10-10.
    assert as_local(instant_at(base, CAL, 3)[0]) == local(2026, 10, 10, 10)


def test_provisional_for_2027() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 15, local(2026, 12, 28, 10))
    p = project(base, CAL, local(2026, 12, 28, 12))
    assert as_local(p.due_at) == local(2027, 1, 18, 10)
    assert p.provisional is True
    with_override = project(base, WorkCalendar(extra={date(2027, 1, 1): False}), p.due_at)
    assert as_local(with_override.due_at) == local(2027, 1, 19, 10)
    assert with_override.provisional is True
    natural = project(ledger(BudgetUnit.NATURAL_HOURS, 500, local(2026, 12, 28)), CAL, p.due_at)
    assert natural.provisional is False
    # A clock due inside 2026 becomes provisional once `now` consults 2027 days.
    short = ledger(BudgetUnit.WORKING_DAYS, 1, local(2026, 12, 1, 9))
    assert project(short, CAL, local(2026, 12, 2, 9)).provisional is False
    assert project(short, CAL, local(2027, 1, 5, 9)).provisional is True


def test_overlapping_pause_and_exclusion_are_merged() -> None:
    base = ledger(BudgetUnit.NATURAL_HOURS, 10, local(2026, 11, 5, 8))
    both = ClockLedger(
        target="reply",
        unit="natural_hours",
        budget=10,
        started_at=base.started_at,
        segments=[
            Segment(kind="excluded", start=local(2026, 11, 5, 11), end=local(2026, 11, 5, 13)),
            Segment(kind="paused", start=local(2026, 11, 5, 10), end=local(2026, 11, 5, 12)),
        ],
    )
    p = project(both, CAL, local(2026, 11, 5, 14))
    assert as_local(p.due_at) == local(2026, 11, 5, 21)  # 10h + 3h stopped
    assert p.consumed == pytest.approx(3)  # 08-10 and 13-14


def test_restart_gives_a_fresh_ledger() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 7, local(2026, 11, 2, 9), target="reply")
    waiting = open_segment(base, SegmentKind.PAUSED, local(2026, 11, 3, 9), "补正")
    fresh = restart(waiting, local(2026, 11, 16, 9))
    assert fresh == ClockLedger(
        target="reply", unit="working_days", budget=7, started_at=local(2026, 11, 16, 9)
    )
    assert len(waiting.segments) == 1
    assert as_local(project(fresh, CAL, local(2026, 11, 16, 9)).due_at) == local(2026, 11, 25, 9)


def test_segment_operations_do_not_mutate() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 11, 5, 10))
    opened = open_segment(base, SegmentKind.EXCLUDED, local(2026, 11, 5, 12))
    closed = close_segment(opened, local(2026, 11, 5, 14))
    assert base.segments == []
    assert opened.segments[0].end is None
    assert closed.segments[0].end == local(2026, 11, 5, 14)
    assert closed.segments[0] is not opened.segments[0]


def test_segment_validation() -> None:
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 11, 5, 10))
    opened = open_segment(base, SegmentKind.PAUSED, local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        open_segment(opened, SegmentKind.EXCLUDED, local(2026, 11, 5, 13))  # one open at a time
    with pytest.raises(ValueError):
        open_segment(base, SegmentKind.PAUSED, local(2026, 11, 5, 9))  # before the start
    with pytest.raises(ValueError):
        open_segment(base, SegmentKind.EXTENDED, local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        open_segment(base, "nap", local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        close_segment(base, local(2026, 11, 5, 12))  # nothing open
    with pytest.raises(ValueError):
        close_segment(opened, local(2026, 11, 5, 11))  # before it opened
    for amount in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            extend(base, amount, local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        instant_at(base, CAL, -1)


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 11, 5, 12)
    base = ledger(BudgetUnit.WORKING_DAYS, 2, local(2026, 11, 5, 10))
    with pytest.raises(ValueError):
        project(base, CAL, naive)
    with pytest.raises(ValueError):
        project(ledger(BudgetUnit.WORKING_DAYS, 2, naive), CAL, local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        open_segment(base, SegmentKind.PAUSED, naive)
    with pytest.raises(ValueError):
        extend(base, 1, naive)
    with pytest.raises(ValueError):
        restart(base, naive)
    with pytest.raises(ValueError):
        CAL.elapsed(BudgetUnit.NATURAL_HOURS, naive, local(2026, 11, 5, 12))
    with pytest.raises(ValueError):
        CAL.add(BudgetUnit.WORKING_HOURS, naive, 1)


def test_bad_ledgers_rejected() -> None:
    with pytest.raises(ValueError):
        project(ClockLedger("reply", "fortnights", 1, local(2026, 11, 5)), CAL, local(2026, 11, 6))
    with pytest.raises(ValueError):
        project(ledger(BudgetUnit.WORKING_DAYS, -1, local(2026, 11, 5)), CAL, local(2026, 11, 6))


# --- properties -------------------------------------------------------------------------------

UNITS = st.sampled_from(list(BudgetUnit))
WORKING_UNITS = st.sampled_from([BudgetUnit.WORKING_HOURS, BudgetUnit.WORKING_DAYS])
# Late enough starts still finish inside 2026 with the budgets, pauses and extensions below.
starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 9, 15), timezones=st.just(CHINA_TZ)
)
fractions = st.floats(min_value=0, max_value=1, exclude_max=True)
pause_lengths = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))
MAX_BUDGET = {
    BudgetUnit.NATURAL_HOURS: 300.0,
    BudgetUnit.WORKING_HOURS: 100.0,
    BudgetUnit.WORKING_DAYS: 15.0,
}


@st.composite
def unit_budget(draw: st.DrawFn, units: st.SearchStrategy[BudgetUnit] = UNITS) -> tuple:
    unit = draw(units)
    return unit, draw(st.floats(min_value=0, max_value=MAX_BUDGET[unit]))


def assert_due_in_working_time(unit: BudgetUnit, due: datetime, cal: WorkCalendar) -> None:
    due = due.astimezone(CHINA_TZ)
    if unit is BudgetUnit.WORKING_HOURS:
        assert day_kind(due.date(), cal.extra)[0]
        assert cal.office.start <= due.time() <= cal.office.end
    elif unit is BudgetUnit.WORKING_DAYS:
        on_working_day = day_kind(due.date(), cal.extra)[0]
        at_end_of_working_day = due.time() == time(0) and day_kind(due.date() - DAY, cal.extra)[0]
        assert on_working_day or at_end_of_working_day


@settings(max_examples=150, deadline=None)
@given(ub=unit_budget(WORKING_UNITS), start=starts, f=fractions, length=pause_lengths)
def test_due_never_outside_working_time(
    ub: tuple[BudgetUnit, float], start: datetime, f: float, length: timedelta
) -> None:
    unit, budget = ub
    base = ledger(unit, budget, start)
    due = project(base, CAL, start).due_at
    assert due is not None
    assert_due_in_working_time(unit, due, CAL)
    # Also with a pause anywhere before the original due (pause ends may fall on weekends).
    pause_start = start + (due - start) * f
    p = project(paused(base, pause_start, pause_start + length), CAL, start)
    assert p.due_at is not None
    assert p.provisional is False
    assert_due_in_working_time(unit, p.due_at, CAL)


@settings(max_examples=150, deadline=None)
@given(ub=unit_budget(), start=starts)
def test_elapsed_inverts_add(ub: tuple[BudgetUnit, float], start: datetime) -> None:
    # Holds for any start, not only starts inside office time on working days.
    unit, amount = ub
    deadline = CAL.add(unit, start, amount)
    assert deadline.due_at >= start
    assert deadline.provisional is False
    assert CAL.elapsed(unit, start, deadline.due_at) == pytest.approx(amount, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(ub=unit_budget(), start=starts, f=fractions, length=pause_lengths)
def test_closed_pause_shifts_due_by_its_counted_length(
    ub: tuple[BudgetUnit, float], start: datetime, f: float, length: timedelta
) -> None:
    unit, budget = ub
    base = ledger(unit, budget, start)
    original = project(base, CAL, start).due_at
    assert original is not None
    pause_start = start + (original - start) * f
    assume(pause_start < original)
    pause_end = pause_start + length
    shifted = project(paused(base, pause_start, pause_end), CAL, start).due_at
    assert shifted is not None
    assert shifted >= max(original, pause_end)
    pause_counted = CAL.elapsed(unit, pause_start, pause_end)
    assert CAL.elapsed(unit, start, shifted) - pause_counted == pytest.approx(budget, abs=1e-6)
    assert CAL.elapsed(unit, original, shifted) == pytest.approx(pause_counted, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(ub=unit_budget(), start=starts, x=st.floats(min_value=0.001, max_value=20), f=fractions)
def test_extension_adds_to_the_total(
    ub: tuple[BudgetUnit, float], start: datetime, x: float, f: float
) -> None:
    unit, budget = ub
    base = ledger(unit, budget, start)
    original = project(base, CAL, start).due_at
    assert original is not None
    granted_at = start + (original - start) * f
    p = project(extend(base, x, granted_at), CAL, start)
    assert p.total == pytest.approx(budget + x)
    assert p.due_at is not None
    assert p.due_at >= original
    assert CAL.elapsed(unit, start, p.due_at) == pytest.approx(budget + x, abs=1e-6)
    assert CAL.elapsed(unit, original, p.due_at) == pytest.approx(x, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(
    ub=unit_budget(),
    more=st.floats(min_value=0, max_value=10),
    start=starts,
    f=fractions,
    length=pause_lengths,
)
def test_more_budget_never_earlier(
    ub: tuple[BudgetUnit, float], more: float, start: datetime, f: float, length: timedelta
) -> None:
    unit, budget = ub
    base = ledger(unit, budget, start)
    original = project(base, CAL, start).due_at
    assert original is not None
    pause_start = start + (original - start) * f
    less = paused(base, pause_start, pause_start + length)
    bigger = ClockLedger(
        target=less.target,
        unit=less.unit,
        budget=budget + more,
        started_at=less.started_at,
        segments=less.segments,
    )
    due_less, _ = instant_at(less, CAL, budget)
    due_more, _ = instant_at(bigger, CAL, budget + more)
    assert due_less is not None
    assert due_more is not None
    assert due_more >= due_less


@settings(max_examples=150, deadline=None)
@given(ub=unit_budget(), start=starts, f=fractions, g=fractions)
def test_consumed_matches_instant_at(
    ub: tuple[BudgetUnit, float], start: datetime, f: float, g: float
) -> None:
    # Projecting at instant_at(c) consumes exactly c: the two views of the ledger agree.
    unit, budget = ub
    base = ledger(unit, budget, start)
    original = project(base, CAL, start).due_at
    assert original is not None
    pause_start = start + (original - start) * f
    with_pause = paused(base, pause_start, pause_start + (original - start) * g)
    target = budget * g
    at, _ = instant_at(with_pause, CAL, target)
    assert at is not None
    assert project(with_pause, CAL, at).consumed == pytest.approx(target, abs=1e-6)
