"""SLA clock ledger: a budget, its start and typed segments; due times are derived, never stored.

A ledger records *what happened* to a clock (started, paused for the citizen, extended by
approval, stopped for a third-party consultation). Everything time-related (how much budget is
used, when it runs out, whether it is overdue) is projected from it on demand, so a change of
holiday data or office hours never leaves a stale due time behind.

Counted time runs from ``started_at`` in the unit's own calendar: wall time for natural hours,
office time on working days for working hours, whole working days for working days. Time inside
PAUSED and EXCLUDED segments is not counted; overlapping ones are merged first. EXTENDED
segments add their amount to the budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from domain.calendar import (
    CHINA_TZ,
    Deadline,
    OfficeHours,
    add_natural,
    add_working_days,
    add_working_hours,
    day_kind,
    working_hours_between,
    working_time_between,
)

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class BudgetUnit(StrEnum):
    """What an SLA budget is measured in."""

    NATURAL_HOURS = "natural_hours"
    WORKING_HOURS = "working_hours"  # office time on working days
    WORKING_DAYS = "working_days"


class SegmentKind(StrEnum):
    """What happened to the clock during a segment."""

    PAUSED = "paused"  # 补正/挂起: waiting on the citizen
    EXTENDED = "extended"  # 延期: approved extension, adds budget
    EXCLUDED = "excluded"  # third-party consultation, not counted


_STOPPING = frozenset({SegmentKind.PAUSED, SegmentKind.EXCLUDED})


@dataclass
class Segment:
    """One event on a clock; a Temporal payload, so new fields only with defaults."""

    kind: str  # a SegmentKind value
    start: datetime
    end: datetime | None = None  # None: still open (paused/excluded running now)
    amount: float = 0.0  # for EXTENDED: budget added, in the ledger's unit
    reason: str = ""


@dataclass
class ClockLedger:
    """A budget, its start and its segments; a Temporal payload."""

    target: str  # "acknowledge" | "reply" | "follow_up"
    unit: str  # a BudgetUnit value
    budget: float  # in the unit (hours or working days)
    started_at: datetime
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class WorkCalendar:
    """The calendar a clock runs on: operator day overrides and office hours."""

    extra: Mapping[date, bool] = field(default_factory=dict)  # date -> working?
    office: OfficeHours = field(default_factory=OfficeHours)

    def add(self, unit: str, start: datetime, amount: float) -> Deadline:
        """The instant when `amount` (in the unit) of counted time has run from start."""
        match BudgetUnit(unit):
            case BudgetUnit.NATURAL_HOURS:
                return add_natural(start, amount)
            case BudgetUnit.WORKING_HOURS:
                return add_working_hours(start, amount, self.extra, self.office)
            case BudgetUnit.WORKING_DAYS:
                return add_working_days(start, amount, self.extra)

    def elapsed(self, unit: str, start: datetime, end: datetime) -> float:
        """Counted time from start to end in the unit (hours or days), negative if end < start."""
        match BudgetUnit(unit):
            case BudgetUnit.NATURAL_HOURS:
                _require_aware(start)
                _require_aware(end)
                return (end - start) / _HOUR
            case BudgetUnit.WORKING_HOURS:
                return working_hours_between(start, end, self.extra, self.office) / _HOUR
            case BudgetUnit.WORKING_DAYS:
                return working_time_between(start, end, self.extra) / _DAY

    def known(self, unit: str, start: datetime, end: datetime) -> bool:
        """Whether every China date the unit consults between start and end has known data."""
        if BudgetUnit(unit) is BudgetUnit.NATURAL_HOURS:
            return True
        lo, hi = sorted((start.astimezone(UTC), end.astimezone(UTC)))
        day = lo.astimezone(CHINA_TZ).date()
        last_local = hi.astimezone(CHINA_TZ)
        last = last_local.date()
        if hi > lo and last_local.time() == time(0):
            last -= _DAY  # an interval ending at 24:00 does not reach into the next date
        while day <= last:
            if not day_kind(day, self.extra)[1]:
                return False
            day += _DAY
        return True


@dataclass(frozen=True)
class Projection:
    """A clock's state at one instant, derived from its ledger."""

    target: str
    unit: str
    budget: float  # base budget
    extended: float  # sum of EXTENDED amounts
    total: float  # budget + extended
    consumed: float  # counted time up to `now`, pauses/exclusions not counted
    remaining: float  # total - consumed (negative when overdue)
    due_at: datetime | None  # None while an open pause/exclusion stops the clock
    paused: bool  # a pause/exclusion is open at `now`
    overdue: bool  # due_at is not None and now > due_at
    provisional: bool  # some calendar day consulted had no published data


def project(ledger: ClockLedger, calendar: WorkCalendar, now: datetime) -> Projection:
    """Project the ledger at `now`: consumption, remaining budget, due time and flags.

    A pause opened after the budget already ran out does not stop an overdue clock: due_at stays
    the instant the budget ran out.
    """
    _validate(ledger)
    _require_aware(now)
    now = now.astimezone(UTC)
    unit = BudgetUnit(ledger.unit)
    extended = sum((s.amount for s in ledger.segments if s.kind == SegmentKind.EXTENDED), 0.0)
    total = ledger.budget + extended
    consumed = 0.0
    known = True
    for lo, hi in _gaps(ledger, now):
        consumed += calendar.elapsed(unit, lo, hi)
        known = known and calendar.known(unit, lo, hi)
    due_at, provisional = instant_at(ledger, calendar, total)
    paused = any(
        s.kind in _STOPPING and s.end is None and s.start.astimezone(UTC) <= now
        for s in ledger.segments
    )
    return Projection(
        target=ledger.target,
        unit=unit.value,
        budget=ledger.budget,
        extended=extended,
        total=total,
        consumed=consumed,
        remaining=total - consumed,
        due_at=due_at,
        paused=paused,
        overdue=due_at is not None and now > due_at,
        provisional=provisional or not known,
    )


def instant_at(
    ledger: ClockLedger, calendar: WorkCalendar, consumed: float
) -> tuple[datetime | None, bool]:
    """The instant (UTC) when `consumed` counted time (in the unit) will have elapsed.

    `consumed` may exceed the total (e.g. total + grace for an escalation). Closed pauses and
    exclusions are skipped; the result is None if an open one starts before that point. The
    second value tells whether any consulted calendar day was provisional.
    """
    _validate(ledger)
    if not math.isfinite(consumed) or consumed < 0:
        raise ValueError(f"consumed must be a finite non-negative number: {consumed!r}")
    unit = BudgetUnit(ledger.unit)
    cursor = ledger.started_at.astimezone(UTC)
    remaining = consumed
    provisional = False
    for lo, hi in _stops(ledger):  # disjoint, sorted, none before the start: lo >= cursor
        gap = calendar.elapsed(unit, cursor, lo)
        if gap >= remaining:
            candidate = calendar.add(unit, cursor, remaining)
            # Only when gap == remaining can the earliest such instant lie past lo (e.g. no budget
            # left on a weekend before a pause); then the clock resumes after the stop.
            if candidate.due_at <= lo:
                return candidate.due_at, provisional or candidate.provisional
        provisional = provisional or not calendar.known(unit, cursor, lo)
        remaining = max(remaining - gap, 0.0)
        if hi is None:
            return None, provisional
        cursor = hi
    deadline = calendar.add(unit, cursor, remaining)
    return deadline.due_at, provisional or deadline.provisional


def open_segment(ledger: ClockLedger, kind: str, at: datetime, reason: str = "") -> ClockLedger:
    """A new ledger with an open PAUSED or EXCLUDED segment starting at `at`."""
    _validate(ledger)
    _require_aware(at)
    segment_kind = SegmentKind(kind)
    if segment_kind not in _STOPPING:
        raise ValueError(f"only paused/excluded segments can be opened: {kind!r}")
    if _open_index(ledger) is not None:
        raise ValueError("a paused/excluded segment is already open")
    if at < ledger.started_at:
        raise ValueError(f"segment starts before the clock: {at!r}")
    segment = Segment(kind=segment_kind.value, start=at, reason=reason)
    return _with_segments(ledger, [*_copies(ledger.segments), segment])


def close_segment(ledger: ClockLedger, at: datetime) -> ClockLedger:
    """A new ledger whose open PAUSED/EXCLUDED segment ends at `at`."""
    _validate(ledger)
    _require_aware(at)
    index = _open_index(ledger)
    if index is None:
        raise ValueError("no paused/excluded segment is open")
    segments = _copies(ledger.segments)
    if at < segments[index].start:
        raise ValueError(f"segment would end before it starts: {at!r}")
    segments[index] = replace(segments[index], end=at)
    return _with_segments(ledger, segments)


def extend(ledger: ClockLedger, amount: float, at: datetime, reason: str = "") -> ClockLedger:
    """A new ledger with an EXTENDED segment adding `amount` (in the ledger's unit) at `at`."""
    _validate(ledger)
    _require_aware(at)
    if not (math.isfinite(amount) and amount > 0):
        raise ValueError(f"extension must be a finite positive amount: {amount!r}")
    segment = Segment(
        kind=SegmentKind.EXTENDED.value, start=at, end=at, amount=amount, reason=reason
    )
    return _with_segments(ledger, [*_copies(ledger.segments), segment])


def restart(ledger: ClockLedger, at: datetime) -> ClockLedger:
    """A fresh ledger from `at` with the same target, unit and budget (补正 restart rule)."""
    _validate(ledger)
    _require_aware(at)
    return ClockLedger(
        target=ledger.target,
        unit=ledger.unit,
        budget=ledger.budget,
        started_at=at,
        segments=[],
    )


# --- the stored form: one serializer and its inverse ------------------------------------------


def ledger_to_json(ledger: ClockLedger) -> dict[str, Any]:
    """The ledger as JSON-ready data (times as ISO 8601), the form stored in sla_clocks."""
    return {
        "target": ledger.target,
        "unit": ledger.unit,
        "budget": ledger.budget,
        "started_at": ledger.started_at.isoformat(),
        "segments": [
            {
                "kind": s.kind,
                "start": s.start.isoformat(),
                "end": s.end.isoformat() if s.end is not None else None,
                "amount": s.amount,
                "reason": s.reason,
            }
            for s in ledger.segments
        ],
    }


def ledger_from_json(data: Mapping[str, Any]) -> ClockLedger:
    """The ledger back from its stored form; fields added later take their defaults."""
    return ClockLedger(
        target=str(data["target"]),
        unit=str(data["unit"]),
        budget=float(data["budget"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        segments=[
            Segment(
                kind=str(s["kind"]),
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]) if s.get("end") else None,
                amount=float(s.get("amount", 0.0)),
                reason=str(s.get("reason", "")),
            )
            for s in data.get("segments", [])
        ],
    )


# --- helpers ----------------------------------------------------------------------------------


def _stops(ledger: ClockLedger) -> list[tuple[datetime, datetime | None]]:
    """Merged PAUSED/EXCLUDED intervals (UTC, sorted), clipped to the clock start; None = open."""
    start = ledger.started_at.astimezone(UTC)
    raw: list[tuple[datetime, datetime | None]] = []
    for s in ledger.segments:
        if SegmentKind(s.kind) not in _STOPPING:
            continue
        lo = max(s.start.astimezone(UTC), start)
        hi = None if s.end is None else s.end.astimezone(UTC)
        if hi is None or hi > lo:
            raw.append((lo, hi))
    raw.sort(key=lambda interval: interval[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for lo, hi in raw:
        if merged:
            last_lo, last_hi = merged[-1]
            if last_hi is None:
                break  # an open stop swallows everything after it
            if lo <= last_hi:
                merged[-1] = (last_lo, None if hi is None else max(hi, last_hi))
                continue
        merged.append((lo, hi))
    return merged


def _gaps(ledger: ClockLedger, now: datetime) -> Iterable[tuple[datetime, datetime]]:
    """Counted intervals (UTC) from the clock start up to `now`, between the stops."""
    cursor = ledger.started_at.astimezone(UTC)
    for lo, hi in _stops(ledger):
        if lo >= now:
            break
        if lo > cursor:
            yield cursor, lo
        if hi is None:
            return
        cursor = max(cursor, hi)
    if now > cursor:
        yield cursor, now


def _open_index(ledger: ClockLedger) -> int | None:
    """Index of the open PAUSED/EXCLUDED segment, if any."""
    for index, s in enumerate(ledger.segments):
        if s.end is None and SegmentKind(s.kind) in _STOPPING:
            return index
    return None


def _copies(segments: Iterable[Segment]) -> list[Segment]:
    """Shallow copies, so a derived ledger never shares mutable segments with its source."""
    return [replace(s) for s in segments]


def _with_segments(ledger: ClockLedger, segments: list[Segment]) -> ClockLedger:
    return replace(ledger, segments=segments)


def _validate(ledger: ClockLedger) -> None:
    """Reject ledgers that cannot be projected: bad unit or kind, naive times, bad amounts."""
    BudgetUnit(ledger.unit)
    _require_aware(ledger.started_at)
    if not (math.isfinite(ledger.budget) and ledger.budget >= 0):
        raise ValueError(f"budget must be a finite non-negative number: {ledger.budget!r}")
    for s in ledger.segments:
        kind = SegmentKind(s.kind)
        _require_aware(s.start)
        if s.end is not None:
            _require_aware(s.end)
            if s.end < s.start:
                raise ValueError(f"segment ends before it starts: {s!r}")
        if kind is SegmentKind.EXTENDED and not (math.isfinite(s.amount) and s.amount >= 0):
            raise ValueError(f"extension amount must be finite and non-negative: {s!r}")


def _require_aware(moment: datetime) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime: {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {moment!r}")
