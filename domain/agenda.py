"""From a case's clocks and policy to its deadlines and the ladder steps still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from domain.calendar import OfficeHours, next_office_instant
from domain.case import OPEN_STATUSES, AgendaItem, CaseState, CaseStatus, Deadlines
from domain.clock import BudgetUnit, ClockLedger, WorkCalendar, instant_at, project
from domain.policy import CasePolicy, Step


@dataclass
class Plan:
    deadlines: Deadlines
    agenda: list[AgendaItem]


def office_hours(policy: CasePolicy) -> OfficeHours:
    return OfficeHours(
        time.fromisoformat(policy.office_start), time.fromisoformat(policy.office_end)
    )


def days_in_unit(days: float, unit: str, office: OfficeHours) -> float:
    """A number of working days expressed in a clock's unit (for "1 working day before")."""
    if unit == BudgetUnit.WORKING_DAYS:
        return days
    if unit == BudgetUnit.WORKING_HOURS:
        span = datetime.combine(datetime.min, office.end) - datetime.combine(
            datetime.min, office.start
        )
        return days * span.total_seconds() / 3600
    return days * 24


def plan_case(state: CaseState, policy: CasePolicy, calendar: WorkCalendar, now: datetime) -> Plan:
    """Deadlines and every unfired step, each at its time (held to office hours if the policy
    says so); retroactive steps keep their past time so the workflow fires them together."""
    office = office_hours(policy)
    provisional = False
    items: list[AgendaItem] = []
    deadlines = Deadlines()

    def at(ledger: ClockLedger, consumed: float) -> datetime | None:
        nonlocal provisional
        moment, unsure = instant_at(ledger, calendar, consumed)
        provisional = provisional or unsure
        return moment

    def notice_time(moment: datetime) -> datetime:
        if not policy.hold_notices:
            return moment
        return next_office_instant(moment, calendar.extra, office)

    status = CaseStatus(state.status)
    if state.ack is not None and status == CaseStatus.DISPATCHED:
        ack_total = project(state.ack, calendar, now).total
        ack_due = at(state.ack, ack_total)
        deadlines.ack_due = ack_due
        run = state.dispatches
        back = at(state.ack, ack_total + policy.ack_grace) if ack_due is not None else None
        if policy.ack_repeat_minutes > 0:
            # Urgent cases: remind every N minutes until signed for or taken back by the office.
            every = timedelta(minutes=policy.ack_repeat_minutes)
            until = back or ack_due or state.ack.started_at
            fired = set(state.fired)
            k, moment, queued = 1, state.ack.started_at + every, 0
            while moment < until and queued < 3:
                key = f"ack_reminder:{run}:{k}"
                if key not in fired:
                    items.append(AgendaItem(key, Step.ACK_REMINDER, "acknowledge", moment, ack_due))
                    queued += 1
                k, moment = k + 1, moment + every
        if ack_due is not None:
            items.append(
                AgendaItem(
                    f"ack_breach:{run}",
                    Step.ACK_BREACH,
                    "acknowledge",
                    notice_time(ack_due),
                    ack_due,
                )
            )
        if back is not None:
            items.append(
                AgendaItem(f"ack_return:{run}", Step.ACK_RETURN, "acknowledge", back, ack_due)
            )

    if state.reply is not None and status in OPEN_STATUSES | {CaseStatus.PAUSED}:
        projection = project(state.reply, calendar, now)
        provisional = provisional or projection.provisional
        total = projection.total
        due = at(state.reply, total)
        deadlines.reply_due = due
        if due is not None:
            notice = days_in_unit(policy.extension_notice_days, state.reply.unit, office)
            deadlines.extension_until = at(state.reply, max(total - notice, 0.0))
        if state.dispatched_at is not None:
            window = calendar.add(
                BudgetUnit.WORKING_DAYS, state.dispatched_at, policy.return_window_days
            )
            deadlines.return_until = window.due_at
        if status in OPEN_STATUSES and due is not None:
            cycle = state.cycle
            for fraction in policy.warnings:
                warned = at(state.reply, total * fraction)
                if warned is not None:
                    key = f"warning{round(fraction * 100)}:{cycle}"
                    items.append(AgendaItem(key, Step.WARNING, "reply", notice_time(warned), due))
            items.append(
                AgendaItem(f"reminder:{cycle}", Step.REMINDER, "reply", notice_time(due), due)
            )
            supervision = at(state.reply, total + policy.supervision_after)
            if supervision is not None:
                items.append(
                    AgendaItem(
                        f"supervision:{cycle}",
                        Step.SUPERVISION,
                        "reply",
                        notice_time(supervision),
                        due,
                    )
                )
                notice_at = at(state.reply, total + policy.supervision_after + policy.notice_after)
                if notice_at is not None:
                    items.append(
                        AgendaItem(
                            f"notice:{cycle}", Step.NOTICE, "reply", notice_time(notice_at), due
                        )
                    )

    if status == CaseStatus.PAUSED and state.reply is not None:
        opened = [s for s in state.reply.segments if s.end is None]
        if opened:
            limit = calendar.add(BudgetUnit.WORKING_DAYS, opened[-1].start, policy.pause_limit_days)
            deadlines.pause_until = limit.due_at
            provisional = provisional or limit.provisional
            items.append(
                AgendaItem(
                    f"pause_expired:{state.pauses}",
                    Step.PAUSE_EXPIRED,
                    "reply",
                    limit.due_at,
                    limit.due_at,
                )
            )

    if state.follow_up is not None and status == CaseStatus.FOLLOW_UP:
        follow_due = at(state.follow_up, state.follow_up.budget)
        deadlines.follow_up_due = follow_due
        if follow_due is not None:
            items.append(
                AgendaItem(
                    f"followup_expired:{state.cycle}",
                    Step.FOLLOWUP_EXPIRED,
                    "follow_up",
                    follow_due,
                    follow_due,
                )
            )

    deadlines.provisional = provisional
    fired = set(state.fired)
    pending = sorted((i for i in items if i.key not in fired), key=lambda i: (i.at, i.key))
    return Plan(deadlines=deadlines, agenda=pending)
