"""An SLA target explained as staff read it: budget, start, segments, due time, consumed and
remaining (or how overdue), as of now or of the moment its step was done. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.case import CaseStatus
from domain.clock import ClockLedger, Segment, WorkCalendar, project

_DECIMALS = 4  # consumed and remaining, in the ledger's unit


@dataclass(frozen=True)
class CaseTimes:
    """What the read model knows of a case's progress, enough to tell when a target stopped."""

    status: str
    acknowledged_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


def stopped_at(target: str, active: bool, case: CaseTimes) -> datetime | None:
    """When the target stopped counting because its step was done; None while it counts.

    签收 stops at the acknowledgement, or at the last change once the case left `dispatched`
    without one (returned, transferred). 答复 stops at the reply once the citizen has it. 回访
    stops at closing. A target of an earlier cycle (before 重办) stopped at the last change.
    """
    if target == "acknowledge":
        if case.acknowledged_at is not None:
            return case.acknowledged_at
        return None if case.status == CaseStatus.DISPATCHED else case.updated_at
    if target == "reply" and active:
        done = case.status in (CaseStatus.FOLLOW_UP, CaseStatus.CLOSED)
        return case.replied_at if done else None
    if target == "follow_up":
        return case.closed_at
    return None if active else case.updated_at


@dataclass(frozen=True)
class TargetExplanation:
    """One target's clock, as of `as_of`: min(now, stopped_at)."""

    target: str
    unit: str  # a BudgetUnit value
    budget: float
    extended: float
    total: float
    started_at: datetime
    segments: tuple[Segment, ...]
    due_at: datetime | None  # None while a pause stops the clock
    consumed: float
    remaining: float  # negative when overdue
    paused: bool
    overdue: bool
    stopped_at: datetime | None
    provisional: bool  # a calendar day consulted had no published data


def explain(
    ledger: ClockLedger, calendar: WorkCalendar, stopped: datetime | None, now: datetime
) -> TargetExplanation:
    """The target explained at `now`, or at `stopped` if its step was done before."""
    as_of = min(now, stopped) if stopped is not None else now
    p = project(ledger, calendar, as_of)
    return TargetExplanation(
        target=ledger.target,
        unit=p.unit,
        budget=ledger.budget,
        extended=p.extended,
        total=p.total,
        started_at=ledger.started_at,
        segments=tuple(replace(s) for s in ledger.segments),
        due_at=p.due_at,
        consumed=round(p.consumed, _DECIMALS),
        remaining=round(p.remaining, _DECIMALS),
        paused=p.paused,
        overdue=p.overdue,
        stopped_at=stopped,
        provisional=p.provisional,
    )


def no_clock_reason(status: str) -> str:
    """Why a case shows no SLA target: not dispatched yet, or it never had a clock."""
    if status == "received":
        return "no clock runs yet: the clocks start when the case is dispatched (派单) to a unit"
    return "no clock ran for this case (answered on the spot, or filed before clocks were kept)"
