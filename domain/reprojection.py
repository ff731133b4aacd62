"""What a calendar or policy change would do to open cases, before it is applied. Pure.

Each open case's stored ledgers are planned twice with `domain.agenda.plan_case`, exactly as the
plan activity projects them: once as things stand, once under the proposal (other calendar
overrides, or the category's new policy, whose new budget the reply ledger takes as
`domain.transitions.policy_changed` gives it). Nothing is changed; the two sets of due times
are compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.agenda import office_hours, plan_case
from domain.case import OPEN_STATUSES, CaseState, Deadlines
from domain.clock import ClockLedger, WorkCalendar
from domain.policy import CasePolicy
from domain.transitions import policy_changed

TARGETS = ("acknowledge", "reply", "follow_up")


@dataclass(frozen=True)
class OpenCase:
    """An open case as its read model keeps it: status, cycle and active ledgers by target."""

    inquiry_id: str
    tracking_code: str
    status: str
    cycle: int
    ledgers: Mapping[str, ClockLedger]

    def state(self) -> CaseState:
        """The part of the workflow's state that plan_case reads for the due times."""
        return CaseState(
            status=self.status,
            cycle=self.cycle,
            ack=self.ledgers.get("acknowledge"),
            reply=self.ledgers.get("reply"),
            follow_up=self.ledgers.get("follow_up"),
        )


@dataclass(frozen=True)
class Setting:
    """What a case's clocks run on: its policy and the operator calendar's overrides."""

    policy: CasePolicy
    extra: Mapping[date, bool]


@dataclass(frozen=True)
class Shift:
    """One case whose due times the proposal moves."""

    inquiry_id: str
    tracking_code: str
    reply_due_before: datetime | None
    reply_due_after: datetime | None
    overdue_at_once: bool


@dataclass(frozen=True)
class Preview:
    open_cases: int  # the open cases looked at
    changed: int  # of them, those with any due time moved
    overdue_at_once: int  # of them, those overdue the moment the proposal is applied
    shifts: list[Shift] = field(default_factory=list)


def deadlines(case: OpenCase, setting: Setting, now: datetime, *, new_policy: bool) -> Deadlines:
    """The case's due times under a setting; with new_policy the reply ledger takes its budget
    the way the workflow's policy_changed signal gives it."""
    state = case.state()
    if new_policy:
        state = policy_changed(state, setting.policy).state
    calendar = WorkCalendar(extra=setting.extra, office=office_hours(setting.policy))
    return plan_case(state, setting.policy, calendar, now).deadlines


def _due_times(d: Deadlines) -> tuple[datetime | None, ...]:
    return (d.ack_due, d.reply_due, d.follow_up_due)


def overdue(case: OpenCase, d: Deadlines, now: datetime) -> bool:
    """Waiting for its reply past the due time, the clock running (the overdue list's rule)."""
    return case.status in OPEN_STATUSES and d.reply_due is not None and d.reply_due < now


def preview(
    cases: Sequence[tuple[OpenCase, Setting, Setting]], now: datetime, *, new_policy: bool
) -> Preview:
    """Each case as (case, current setting, proposed setting): how many due times move and how
    many cases the proposal makes overdue at once."""
    shifts = []
    for case, current, proposed in cases:
        before = deadlines(case, current, now, new_policy=False)
        after = deadlines(case, proposed, now, new_policy=new_policy)
        if _due_times(before) == _due_times(after):
            continue
        at_once = overdue(case, after, now) and not overdue(case, before, now)
        shifts.append(
            Shift(case.inquiry_id, case.tracking_code, before.reply_due, after.reply_due, at_once)
        )
    return Preview(
        open_cases=len(cases),
        changed=len(shifts),
        overdue_at_once=sum(s.overdue_at_once for s in shifts),
        shifts=shifts,
    )
