"""The ladder and deadlines a case's clocks produce (pure, no Temporal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.agenda import plan_case
from domain.case import CaseState
from domain.clock import ClockLedger, WorkCalendar, open_segment
from domain.policy import CasePolicy

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CALENDAR = WorkCalendar()


def _policy(**fields: object) -> CasePolicy:
    base: dict[str, object] = {
        "category": "t", "reply_unit": "natural_hours", "reply_within": 24.0,
        "ack_within": 2.0, "ack_grace": 1.0, "supervision_after": 24.0, "notice_after": 24.0,
    }  # fmt: skip
    base.update(fields)
    return CasePolicy(**base)  # type: ignore[arg-type]


def _state(status: str, policy: CasePolicy) -> CaseState:
    return CaseState(
        status=status,
        unit="pipe_repair",
        dispatches=1,
        dispatched_at=START,
        ack=ClockLedger("acknowledge", policy.ack_unit, policy.ack_within, START),
        reply=ClockLedger("reply", policy.reply_unit, policy.reply_within, START),
    )


def test_a_dispatched_case_has_the_whole_ladder_in_order() -> None:
    policy = _policy()
    plan = plan_case(_state("dispatched", policy), policy, CALENDAR, START)
    got = [(i.key, i.at - START) for i in plan.agenda]
    assert got == [
        ("ack_breach:1", timedelta(hours=2)),
        ("ack_return:1", timedelta(hours=3)),
        ("warning50:1", timedelta(hours=12)),
        ("warning75:1", timedelta(hours=18)),
        ("reminder:1", timedelta(hours=24)),
        ("supervision:1", timedelta(hours=48)),
        ("notice:1", timedelta(hours=72)),
    ]
    assert plan.deadlines.reply_due == START + timedelta(hours=24)
    assert plan.deadlines.ack_due == START + timedelta(hours=2)
    # One working day's notice on a natural-hours clock is 24 hours: no time left to ask.
    assert plan.deadlines.extension_until == START


def test_signed_cases_drop_the_acknowledgement_steps_and_fired_steps_never_return() -> None:
    policy = _policy()
    state = _state("handling", policy)
    state.fired = ["warning50:1", "warning75:1"]
    keys = [i.key for i in plan_case(state, policy, CALENDAR, START).agenda]
    assert keys == ["reminder:1", "supervision:1", "notice:1"]


def test_a_paused_case_has_only_its_pause_limit() -> None:
    policy = _policy(pause_limit_days=2)
    state = _state("paused", policy)
    assert state.reply is not None
    state.reply = open_segment(state.reply, "paused", START + timedelta(hours=1))
    state.pauses = 1
    plan = plan_case(state, policy, CALENDAR, START + timedelta(hours=5))
    assert [i.key for i in plan.agenda] == ["pause_expired:1"]
    assert plan.deadlines.reply_due is None  # the clock is stopped
    # Two working days from Monday 11:00 local: Wednesday 11:00 local.
    assert plan.agenda[0].at == START + timedelta(days=2, hours=1)


def test_urgent_reminders_repeat_until_the_office_takes_it_back() -> None:
    policy = _policy(ack_within=0.5, ack_grace=0.5, ack_repeat_minutes=10)
    state = _state("dispatched", policy)
    state.fired = ["ack_reminder:1:1", "ack_reminder:1:2"]
    reminders = [
        i for i in plan_case(state, policy, CALENDAR, START).agenda if i.step == "ack_reminder"
    ]
    assert [i.key for i in reminders] == [
        "ack_reminder:1:3",
        "ack_reminder:1:4",
        "ack_reminder:1:5",
    ]
    assert reminders[0].at == START + timedelta(minutes=30)


def test_held_notices_wait_for_office_hours() -> None:
    # 9 hours from Monday 10:00 is 19:00 local: the 催办 waits until Tuesday 08:30.
    policy = _policy(reply_within=9.0, hold_notices=True, warnings=[])
    state = _state("handling", policy)
    reminder = next(
        i for i in plan_case(state, policy, CALENDAR, START).agenda if i.step == "reminder"
    )
    assert reminder.due_at == START + timedelta(hours=9)
    assert reminder.at == datetime(2026, 11, 3, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


def test_working_day_clocks_skip_the_weekend() -> None:
    policy = _policy(
        reply_unit="working_days", reply_within=5.0, supervision_after=1.0, notice_after=1.0
    )
    plan = plan_case(_state("handling", policy), policy, CALENDAR, START)
    assert plan.deadlines.reply_due == START + timedelta(days=7)  # Monday to next Monday
    supervision = next(i for i in plan.agenda if i.step == "supervision")
    assert supervision.at == START + timedelta(days=8)
    assert plan.deadlines.provisional is False
